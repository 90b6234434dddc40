"""`maestro drift TARGETS OPERATIONAL`: how far the network is from an intent, and what to do.

TARGETS and OPERATIONAL are YAML or JSON files.

TARGETS, simplest form — one target per KPI::

    {"kpis": {"cpu": {"range": [40, 70]}, "ram": [40, 70], "latency": {"max": 20},
              "throughput": {"min": 50}, "status": {"equals": 100}}}

A target is ``{range: [lo, hi]}`` (or a bare ``[lo, hi]``), ``{min: x}``, ``{max: x}``, both,
``{bound: x, direction: max|min}``, ``{equals: x}`` (or a bare number), or TS 28.312's
``{targetCondition: IS_WITHIN_RANGE, targetValueRange: [lo, hi]}``; ``unit`` is optional.
A service of several sub-services (the paper's two collectors) adds ``service``,
``subservices`` (each may override ``kpis``, set ``type`` and ``dependencies``) and
``availability: {target, resource}``.

OPERATIONAL, simplest form — one number or time series (oldest first) per KPI::

    {"cpu": 90, "ram": [50, 55], ...}

or per sub-service with software/agent states and a downtime counter::

    {"subservices": {"collector1": {"kpis": {...}, "software": 1,
                                    "agents": [{"resource": 1, "software": 1, "net": 1}]}},
     "downtime": {"planned_days": 30, "down_minutes": 2}}

The full formats are in ``maestro.tools.drift.service``. Output (``--json``): per KPI
``p9``, ``p3``, ``delta`` and ``gradient``; overall ``distance``, ``service_health_pct``,
``intent_health``, ``availability``, the ``drift`` vector, the RFC 9418-shaped
``assurance-graph`` and the ranked ``actions``. Without ``--json`` a summary is printed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from maestro.cli.common import UserError, check_writable, read_data_file, write_json


def _field_error(exc: ValidationError) -> UserError:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "value"
    return UserError(f"{where}: {first.get('msg', 'invalid')}")


def _composite_line(report: Any) -> str:
    """Eqs. 9-10's 3-ary vector {k_Hr, k_Hsw, k_Hnet} and k_Hs (-1 unhealthy, 0 degraded,
    1 healthy; '?' where no member is known)."""
    c = report.composite_health
    shown = ["?" if v is None else f"{v:+d}" for v in (c.resource, c.software, c.network)]
    service = "?" if c.service is None else f"{c.service:+d}"
    return f"composite health {{{', '.join(shown)}}} (resource, software, network) -> {service}"


def _summary(report: Any) -> str:
    lines = [f"service '{report.service}'  (policy: {report.policy})", ""]
    width = max([len(k) for k in report.kpis] + [3])
    lines.append(
        f"{'KPI':<{width}}  {'value':>10}  {'target':<16} {'p9':>3} {'p3':>3} "
        f"{'delta':>10} {'gradient':>9}"
    )
    for key, r in report.kpis.items():
        lines.append(
            f"{key:<{width}}  {r.value:>10.4g}  {r.target:<16} {r.p9:>3} {r.p3:>3} "
            f"{r.delta:>10.4g} {r.gradient:>9.3f}"
        )
    a = report.availability
    measured = "n/a" if a.measured is None else f"{a.measured:.6f}"
    lines += [
        "",
        f"distance {report.distance:.4g}   error {report.error:.4g}",
        f"service health {report.service_health_pct:.1f} %   intent health {report.intent_health}",
        _composite_line(report),
        f"availability target {a.target:g}: measured {measured}, "
        f"{a.healthy_resources}/{a.resources} resources healthy "
        f"({a.redundancy_needed} needed), {'met' if a.met else 'NOT met'}",
    ]
    for node in report.assurance_graph.subservices:
        if node.health_score < 100:
            causes = ", ".join(s.id for s in node.symptoms)
            lines.append(f"  {node.id}: health-score {node.health_score} ({causes})")
    if report.actions:
        lines.append("actions (best first):")
        for act in report.actions:
            restores = "restores the intent" if act.restores_intent else "does NOT restore"
            lines.append(
                f"  {act.rank}. {act.action} {act.subservice}: penalty "
                f"{act.penalty:g}, ~{act.downtime_s:g} s, {restores}"
            )
    return "\n".join(lines)


def drift_cmd(
    targets: Annotated[Path, typer.Argument(help="Targets file (YAML or JSON).")],
    operational: Annotated[Path, typer.Argument(help="Operational values file (YAML or JSON).")],
    policy: Annotated[
        Path | None,
        typer.Option("--policy", help="Policy file overriding the packaged default policy."),
    ] = None,
    json_dest: Annotated[
        str | None, typer.Option("--json", help="Write the JSON report here ('-' = stdout).")
    ] = None,
) -> None:
    """Quantize KPIs, measure intent drift, service health and availability, rank actions."""
    from maestro.tools.drift import (
        DriftInputError,
        PolicyError,
        assess,
        load_policy,
        parse_observation,
        parse_service_targets,
    )

    if json_dest is not None:
        check_writable(json_dest)
    target_doc = read_data_file(targets, "targets file")
    operational_doc = read_data_file(operational, "operational file")
    try:
        pol = load_policy(policy)
    except PolicyError as exc:
        raise UserError(str(exc)) from None
    try:
        parsed = parse_service_targets(target_doc)
    except DriftInputError as exc:
        raise UserError(f"{targets}: {exc}") from None
    except ValidationError as exc:
        raise _field_error(exc) from None
    try:
        observed = parse_observation(operational_doc, parsed)
    except DriftInputError as exc:
        raise UserError(f"{operational}: {exc}") from None
    except ValidationError as exc:
        raise _field_error(exc) from None
    report = assess(parsed, observed, pol)
    if json_dest is not None:
        write_json(report.to_json(), json_dest)
    else:
        typer.echo(_summary(report))


def register(app: typer.Typer) -> None:
    app.command("drift")(drift_cmd)
