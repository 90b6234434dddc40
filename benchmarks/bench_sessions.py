"""Sessions: what durability costs, how fast a session resumes, how fast a served chat turn is.

Prints, over RUNS runs each (default 5), with the scripted model (so that model time is ~0
and what is measured is the framework's):
  - checkpoint overhead per round: the two-operator example for 5 rounds without a
    checkpointer, on SQLite (the default store) and on PostgreSQL (a throw-away server this
    script starts with initdb/pg_ctl, or MAESTRO_BENCH_PG_URL), as the median round time and
    the checkpointing share of it;
  - resume time: opening the store, compiling the session graph and reading a session that
    waits for its person (what `maestro sessions resume` does before it asks), then the
    first stretch after the answer;
  - a chat turn through `maestro serve` (loopback HTTP): from posting the person's message
    to the page's state showing the next question, and through LangGraph Server
    (`langgraph dev`, SDK `runs.wait` with the resume command) unless --skip-langgraph.

    python benchmarks/bench_sessions.py [--runs N] [--skip-postgres] [--skip-langgraph]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "two-operators.yaml"
ROUNDS = 5
CONTEXT = {
    "scenario": "two-operators",
    "seat": "cost",
    "mode": "manual",
    "model": "scripted:optimizer",
}


def sampled(fn: Callable[[], float], runs: int) -> list[float]:
    return [fn() for _ in range(runs)]


def ms(samples: list[float]) -> str:
    """Median, min and max of samples in seconds, as milliseconds."""
    return (
        f"median {1000 * statistics.median(samples):.1f} ms "
        f"(min {1000 * min(samples):.1f}, max {1000 * max(samples):.1f})"
    )


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def postgres() -> Iterator[str | None]:
    """A PostgreSQL URL: MAESTRO_BENCH_PG_URL, or a throw-away server (None if impossible)."""
    given = os.environ.get("MAESTRO_BENCH_PG_URL")
    if given:
        yield given
        return
    sys.path.insert(0, str(ROOT))
    try:
        from tests.sessions.conftest import _as_user, _pg_bin
    except Exception:
        yield None
        return
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        yield None
        return
    try:
        prefix, uid, gid = _as_user()
    except BaseException:  # pytest.skip outside pytest: no user to run it as
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="maestro-bench-pg-"))
    if uid is not None:
        os.chown(root, uid, gid or -1)
    port = free_port()
    data = root / "data"
    subprocess.run(
        [*prefix, initdb, "-D", str(data), "-U", "maestro", "--auth=trust"],
        check=True,
        capture_output=True,
        cwd=root,
    )
    options = f"-k {root} -h 127.0.0.1 -p {port}"
    subprocess.run(
        [*prefix, pg_ctl, "-D", str(data), "-l", str(root / "log"), "-o", options, "-w", "start"],
        check=True,
        capture_output=True,
        cwd=root,
    )
    try:
        yield f"postgresql://maestro@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "fast", "stop"], capture_output=True, cwd=root
        )
        shutil.rmtree(root, ignore_errors=True)


def round_time(store_url: str | None) -> float:
    """Seconds per round of one scripted 5-round run, with or without a checkpointer."""
    from maestro.graphs.checkpoints import open_store
    from maestro.graphs.context import prepare_run
    from maestro.graphs.negotiation import build_negotiation_graph
    from maestro.graphs.runner import run_negotiation

    context = prepare_run(EXAMPLE, model="scripted:concede", rounds=ROUNDS)
    if store_url is None:
        started = time.perf_counter()
        record = run_negotiation(context)
    else:
        with open_store(store_url) as store:
            graph = build_negotiation_graph(checkpointer=store.saver)
            started = time.perf_counter()
            record = run_negotiation(context, graph=graph, thread_id=uuid.uuid4().hex)
    wall = time.perf_counter() - started
    assert len(record.rounds) == ROUNDS, record.reason
    return wall / ROUNDS


def checkpoint_overhead(runs: int, pg_url: str | None, folder: Path) -> None:
    round_time(None)  # warm-up: imports, the optimizer's first solve
    plain = sampled(lambda: round_time(None), runs)
    print(f"round time, no checkpointer: {ms(plain)}")
    stores = {"SQLite": f"sqlite:///{folder / 'bench.sqlite'}"}
    if pg_url:
        stores["PostgreSQL"] = pg_url
    for name, url in stores.items():
        round_time(url)
        timed = sampled(lambda url=url: round_time(url), runs)
        base, with_store = statistics.median(plain), statistics.median(timed)
        share = (with_store - base) / with_store if with_store > 0 else 0.0
        print(f"round time, {name}: {ms(timed)}; checkpointing {100 * share:.0f}% of a round")


def resume_time(runs: int, folder: Path) -> None:
    from maestro.graphs.checkpoints import open_store
    from maestro.graphs.context import prepare_run
    from maestro.graphs.session import SessionRunner, build_session_graph, session_context

    url = f"sqlite:///{folder / 'resume.sqlite'}"

    def runner(store: Any, sid: str) -> SessionRunner:
        run = prepare_run(EXAMPLE, model="scripted:optimizer")
        return SessionRunner(
            build_session_graph(store.saver, search=None),
            session_context(run, {"cost": "manual"}),
            sid,
        )

    with open_store(url) as store:
        sids = []
        for _ in range(runs):
            sid = uuid.uuid4().hex
            seat = runner(store, sid)
            seat.advance()
            seat.advance("45")  # waits for round 2
            sids.append(sid)
    opened, stretch = [], []
    for sid in sids:
        started = time.perf_counter()
        with open_store(url) as store:
            seat = runner(store, sid)
            step = seat.snapshot()
            assert step.prompts, "the session should wait for its person"
            opened.append(time.perf_counter() - started)
            started = time.perf_counter()
            seat.advance("60")
            stretch.append(time.perf_counter() - started)
    print(f"resume, open to question: {ms(opened)}")
    print(f"resume, answer to next question: {ms(stretch)}")


def wait_http(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    import httpx

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if process.poll() is not None:
            raise SystemExit(f"{process.args!r} exited")
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(url, timeout=2)
            return
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer")


def web_turn(runs: int, folder: Path) -> None:
    import httpx

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAESTRO_", "OPENAI_"))}
    env["MAESTRO_DATA_DIR"] = str(folder / "web")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("maestro")), "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/", process)
        with httpx.Client(base_url=url, timeout=30) as http:

            def waiting_round(sid: str, round_: int) -> None:
                while True:
                    view = http.get(f"/api/sessions/{sid}").json()
                    if (
                        view["waiting"]
                        and view["waiting"][0].get("round") == round_
                        and not view["busy"]
                    ):
                        return
                    time.sleep(0.005)

            turns = []
            for _ in range(runs):
                sid = http.post("/api/sessions", json=CONTEXT).json()["id"]
                waiting_round(sid, 1)
                started = time.perf_counter()
                http.post(f"/api/sessions/{sid}/messages", json={"text": "45"})
                waiting_round(sid, 2)
                turns.append(time.perf_counter() - started)
        print(f"chat turn via maestro serve (post to next question, one round): {ms(turns)}")
    finally:
        process.terminate()
        process.wait(timeout=20)


def langgraph_turn(runs: int) -> None:
    cli = Path(sys.executable).with_name("langgraph")
    if not cli.exists():
        print("chat turn via LangGraph Server: skipped (langgraph-cli[inmem] not installed)")
        return
    import langgraph_sdk

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAESTRO_", "OPENAI_"))}
    env["LANGGRAPH_CLI_NO_ANALYTICS"] = "1"
    process = subprocess.Popen(
        [
            str(cli),
            "dev",
            "--no-browser",
            "--no-reload",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/ok", process)

        async def turns() -> list[float]:
            client = langgraph_sdk.get_client(url=url)
            assistant = await client.assistants.create(graph_id="session", context=CONTEXT)
            out = []
            for _ in range(runs):
                thread = await client.threads.create()
                await client.runs.wait(thread["thread_id"], assistant["assistant_id"], input={})
                started = time.perf_counter()
                await client.runs.wait(
                    thread["thread_id"], assistant["assistant_id"], command={"resume": "45"}
                )
                out.append(time.perf_counter() - started)
            return out

        samples = asyncio.run(turns())
        print(f"chat turn via LangGraph Server (runs.wait resume, one round): {ms(samples)}")
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-langgraph", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["MAESTRO_DATA_DIR"] = str(folder / "data")
        with contextlib.ExitStack() as stack:
            pg_url = None if args.skip_postgres else stack.enter_context(postgres())
            if not args.skip_postgres and pg_url is None:
                print("PostgreSQL: skipped (no initdb/pg_ctl, and no MAESTRO_BENCH_PG_URL)")
            checkpoint_overhead(args.runs, pg_url, folder)
        resume_time(args.runs, folder)
        web_turn(args.runs, folder)
        if not args.skip_langgraph:
            langgraph_turn(args.runs)


if __name__ == "__main__":
    main()
