"""`maestro ran`: serve the RAN emulator over HTTP, and compute cell capacity from the NR tables."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from maestro.cli.common import UserError, console, write_json

ran_app = typer.Typer(
    help="The RAN driver: capacity from CQI, and the emulated cell served over HTTP.",
    no_args_is_help=True,
)


def _in_range(option: str, value: int | None, lo: int, hi: int) -> None:
    """Range checks live here, not in typer, so that they end as one-line UserErrors."""
    if value is not None and not lo <= value <= hi:
        raise UserError(f"{option}: must be {lo}..{hi}, got {value}")


def _field_error(exc: ValidationError) -> UserError:
    first = exc.errors()[0]
    msg = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    where = ".".join(str(p) for p in first.get("loc", ()))
    return UserError(f"{where}: {msg}" if where else msg)


def _cell(bandwidth: float, scs: int, layers: int, mcs_table: int) -> Any:
    from maestro.tools.ran import CellConfig

    try:
        cell = CellConfig(bandwidth_mhz=bandwidth, scs_khz=scs, layers=layers, mcs_table=mcs_table)
        _ = cell.n_prb  # some invalid bandwidth/SCS pairs only surface here
    except ValidationError as exc:
        raise _field_error(exc) from exc
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    return cell


@ran_app.command("capacity")
def capacity(
    bandwidth: Annotated[float, typer.Option("--bandwidth", help="Channel bandwidth, MHz.")] = 40,
    scs: Annotated[int, typer.Option("--scs", help="Subcarrier spacing, kHz.")] = 30,
    cqi: Annotated[int, typer.Option("--cqi", help="CQI 0..15.")] = 15,
    prbs: Annotated[
        int | None, typer.Option("--prbs", help="PRBs to count (default: all).")
    ] = None,
    mbps: Annotated[
        float | None,
        typer.Option("--mbps", help="Instead: the fewest PRBs that carry this throughput."),
    ] = None,
    layers: Annotated[int, typer.Option("--layers", help="MIMO layers (1..8).")] = 1,
    mcs_table: Annotated[
        int, typer.Option("--mcs-table", help="1 = 64QAM, 2 = 256QAM tables.")
    ] = 1,
    json_dest: Annotated[
        str | None, typer.Option("--json", help="Write JSON to this path ('-' = stdout).")
    ] = None,
    special_slot: Annotated[
        str,
        typer.Option(
            "--special-slot",
            help="TDD special slot (6 DL symbols): full = a whole DL slot (the testbed's "
            "134.36 Mbps), partial = its own symbols, none = ignored.",
        ),
    ] = "full",
) -> None:
    """Downlink throughput (Mbps) of a cell at a CQI, over all or some of its PRBs."""
    from maestro.tools.ran import InfeasibleRequest, prbs_for_throughput, throughput_mbps

    _in_range("--cqi", cqi, 0, 15)
    _in_range("--layers", layers, 1, 8)
    _in_range("--mcs-table", mcs_table, 1, 2)
    if prbs is not None and prbs < 0:
        raise UserError(f"--prbs: must be >= 0, got {prbs}")
    if special_slot not in ("full", "partial", "none"):
        raise UserError(f"--special-slot: full, partial or none, got {special_slot!r}")
    cell = _cell(bandwidth, scs, layers, mcs_table)
    if cell.tdd is not None:
        cell = cell.model_copy(
            update={"tdd": cell.tdd.model_copy(update={"mixed_slot": special_slot})}
        )
    n_prb = int(cell.n_prb)
    if prbs is not None and mbps is not None:
        raise UserError("--prbs and --mbps: give one or the other")
    if prbs is not None and prbs > n_prb:
        raise UserError(f"--prbs: {prbs} exceeds the {n_prb} PRBs of this carrier")
    if mbps is not None:
        if not math.isfinite(mbps) or mbps < 0:
            raise UserError(f"--mbps: must be a finite number >= 0, got {mbps}")
        try:
            prbs = prbs_for_throughput(cell, cqi, mbps)
        except InfeasibleRequest as exc:
            raise UserError(f"--mbps: {exc.reason}") from exc
    used = n_prb if prbs is None else prbs
    rate = throughput_mbps(cell, cqi, used)
    record = {
        "mbps": round(rate, 4),
        "prbs": used,
        "n_prb": n_prb,
        "cqi": cqi,
        "bandwidth_mhz": bandwidth,
        "scs_khz": scs,
        "layers": layers,
        "mcs_table": mcs_table,
        "special_slot": special_slot,
    }
    if mbps is not None:
        record["target_mbps"] = mbps
    if json_dest is not None:
        write_json(record, json_dest)
    else:
        counted = {
            "full": "the TDD special slot counted as a full downlink slot",
            "partial": "the TDD special slot counted by its own downlink symbols",
            "none": "the TDD special slot not counted",
        }[special_slot]
        typer.echo(
            f"{rate:.2f} Mbps over {used} of {n_prb} PRBs (CQI {cqi}, "
            f"{bandwidth:g} MHz at {scs} kHz, {layers} layer(s); {counted})"
        )


@ran_app.command("serve")
def serve_cmd(
    trace: Annotated[
        Path | None,
        typer.Option("--trace", help="A 5G drive-test CSV (Raca et al. format) to replay."),
    ] = None,
    port: Annotated[int, typer.Option("--port", help="TCP port (0 = any free port).")] = 8080,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    speed: Annotated[
        float, typer.Option("--speed", help="Replay speed: 1 = real time, 0 = manual clock.")
    ] = 1.0,
    cqi: Annotated[
        int | None, typer.Option("--cqi", help="Fixed CQI 0..15 instead of a trace.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic trace.")] = 0,
    bandwidth: Annotated[float, typer.Option("--bandwidth", help="Channel bandwidth, MHz.")] = 40,
    scs: Annotated[int, typer.Option("--scs", help="Subcarrier spacing, kHz.")] = 30,
    token_env: Annotated[
        str | None,
        typer.Option(
            "--token-env",
            help="Environment variable holding the token clients must send (default "
            "MAESTRO_RAN_TOKEN; if unset on loopback, a token is generated and printed).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the emulated cell over HTTP (JSON driver API and Prometheus /metrics).

    Every POST needs 'Authorization: Bearer <token>'; reads are open on loopback only.
    """
    from maestro.tools.ran import (
        RanEmulator,
        TraceFormatError,
        bind_socket,
        load_raca_trace,
        serve,
    )
    from maestro.tools.ran.guard import TOKEN_ENV, is_loopback, new_token

    token = _served_token(token_env)
    if token is None and not is_loopback(host):
        raise UserError(
            f"--host {host}: serving beyond loopback needs a token; set {TOKEN_ENV} "
            "(or name another variable with --token-env) to a secret of 16+ characters"
        )
    _in_range("--cqi", cqi, 0, 15)
    _in_range("--port", port, 0, 65535)
    if trace is not None and cqi is not None:
        raise UserError("--trace and --cqi: give one or the other")
    if not math.isfinite(speed) or speed < 0:
        raise UserError(f"--speed: must be >= 0 (0 = manual clock), got {speed}")
    cell = _cell(bandwidth, scs, 1, 1)  # with OAI's band-78 TDD pattern, as the testbed
    radio = None
    if trace is not None:
        if not trace.is_file():
            raise UserError(f"--trace: file not found: {trace}")
        try:
            radio = load_raca_trace(trace)
        except (TraceFormatError, OSError, UnicodeDecodeError) as exc:
            raise UserError(f"--trace: {exc}") from exc
    emulator = RanEmulator(cell=cell, trace=radio, seed=seed, cqi=cqi)
    source = (
        f"trace {trace} ({len(radio)} s)"
        if radio is not None
        else f"fixed CQI {cqi}"
        if cqi is not None
        else f"synthetic trace (seed {seed})"
    )
    pace = "manual clock (POST /advance)" if speed == 0 else f"replay at {speed:g}x"
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        raise UserError(
            f"--host/--port: cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from exc
    bound = sock.getsockname()[1]
    console.print(
        f"RAN emulator: {cell.n_prb} PRB, {source}, {pace}; serving http://{host}:{bound} "
        "(GET /state, /metrics; POST /policy, /cell, /demand, /advance). Ctrl-C stops.",
        highlight=False,
        soft_wrap=True,
    )
    if token is None:
        # Printed once, on the terminal of whoever started the server, so that a local user
        # can still drive it; nothing else learns it.
        token = new_token()
        console.print(
            f"No {TOKEN_ENV} set: this run's token is {token}\n"
            f"  clients: export {TOKEN_ENV}={token}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    else:
        local = is_loopback(sock.getsockname()[0])  # as `serve` decides which reads are open
        routes = "POST routes need" if local else "Every route but /healthz needs"
        console.print(
            f"{routes} 'Authorization: Bearer ${token_env or TOKEN_ENV}'.",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if speed > 0:
        emulator.start(speed=speed)
    try:
        serve(emulator, sock=sock, token=token)
    finally:
        emulator.stop()
        sock.close()


def _served_token(token_env: str | None) -> str | None:
    """The token from `--token-env VAR` (which must be set) or MAESTRO_RAN_TOKEN (optional)."""
    from maestro.tools.ran.guard import TOKEN_ENV, check_token, token_from_env

    if token_env is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token_env):
        raise UserError(f"--token-env: not an environment variable name: {token_env!r}")
    var = token_env or TOKEN_ENV
    token = token_from_env(var)
    if token is None:
        if token_env is not None:
            raise UserError(f"--token-env: {var} is not set (or empty)")
        return None
    try:
        return check_token(token, var)
    except ValueError as exc:
        raise UserError(str(exc)) from exc


def register(app: typer.Typer) -> None:
    app.add_typer(ran_app, name="ran")
