"""Entry point for LangGraph Server and Studio (registered in langgraph.json).

The served graph takes `{"scenario": {...}}` — the same mapping as a scenario file — and
returns `{"record": {...}}`, the same record `maestro negotiate --json` writes. Its one node
builds the run context exactly as the Python API does (`prepare_run`: the scenario's network
section, the settings from the environment, the scenario's seed) and runs the negotiation
graph inside it as a subgraph, so its state and checkpoints can be read through the server
and its progress events stream as `custom` events.

Model ids come from the caller (the scenario, the context), and `local:<path>` names a file
on the server: only ids on the server's allow-list (MAESTRO_ALLOWED_MODELS, by default the
shipped and scripted models) are loaded; any other ends the run with status `error` and a
reason that names the id, before any file is touched. Likewise a scenario's `network.trace`
(a file on the server) and `driver_url` / `prometheus_url` (requests the server would send)
must be allowed by the server's MAESTRO_SERVED_TRACE_DIR and MAESTRO_SERVED_URLS
(graphs/served_policy.py); any other ends the run with status `error` and a reason naming
the field, before anything is opened or requested.

Per run, the context (`ServeContext`, the run's or the assistant's `context`) may override
the model, the rounds and the seed, shorten the deadline, and allow enforcing a fallback
agreement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from typing_extensions import TypedDict

from maestro.agents.domain import flag_record
from maestro.agents.errors import UsageError
from maestro.agents.providers import ProviderUnavailableError
from maestro.agents.providers.allow import allowed_model_ids
from maestro.agents.providers.options import options_from_env
from maestro.graphs.context import RunContext, prepare_run
from maestro.graphs.runner import (
    default_graph,
    record_from_state,
    refused_record,
    run_negotiation,
)
from maestro.graphs.served_policy import (
    NetworkNotAllowedError,
    check_served_network,
    policy_from_env,
    without_refusable,
)


class ServeInput(TypedDict):
    scenario: dict[str, Any]


class ServeOutput(TypedDict):
    record: dict[str, Any]


class ServeState(ServeInput, ServeOutput, total=False):
    pass


@dataclass
class ServeContext:
    """Run options a LangGraph client may set; unset ones follow the environment and the
    scenario, as on the command line."""

    model: str | None = None
    rounds: int | None = None
    seed: int | None = None
    enforce_fallback: bool = False
    # Seconds; a client may shorten the server's MAESTRO_DEADLINE, never extend it.
    deadline: float | None = None


def network_refused(prepare: Any, scenario: dict[str, Any], reason: str) -> dict[str, Any]:
    """The `error` record of a run refused before it started: a trace or URL the server does
    not allow, or the server's own settings are malformed.

    The run context is built from the scenario without its trace and URLs, so nothing is
    opened or requested; the record still shows the values the caller sent.
    """
    safe, asked = without_refusable(scenario)
    context = prepare(safe)
    context.close()
    if asked and context.scenario.network is not None:
        network = context.scenario.network.model_copy(update=asked)
        context.scenario = context.scenario.model_copy(update={"network": network})
    state = {
        "status": "error",
        "reason": reason,
        "flags": [flag_record("run_failed", "network", 0, reason)],
    }
    return record_from_state(context, state, 0.0).to_json_dict()


def make_graph(config: Any = None) -> Any:
    negotiation = default_graph()  # referenced here, so Studio shows it as the subgraph

    def negotiate(state: ServeState, runtime: Runtime[ServeContext]) -> dict[str, Any]:
        options = runtime.context or ServeContext()
        limit = options_from_env().deadline_s

        misconfigured: UsageError | None = None
        allowed: tuple[str, ...] = ()
        network_policy = None
        try:  # the server's own settings: a typo there is the operator's, not the caller's
            allowed = allowed_model_ids()
            network_policy = policy_from_env()
        except UsageError as exc:
            misconfigured = exc

        def prepare(scenario: dict[str, Any]) -> RunContext:
            return prepare_run(
                scenario,
                model=options.model,
                rounds=options.rounds,
                seed=options.seed,
                enforce_fallback=options.enforce_fallback,
                deadline=limit if options.deadline is None else min(options.deadline, limit),
                allowed_models=allowed,
                check_models=False,
            )

        if misconfigured is not None or network_policy is None:
            reason = f"the server is misconfigured, ask its operator: {misconfigured}"
            return {"record": network_refused(prepare, state["scenario"], reason)}
        try:  # before validation, which would already read the trace
            scenario = check_served_network(state["scenario"], network_policy)
        except NetworkNotAllowedError as exc:
            reason = f"scenario refused: {exc}"
            return {"record": network_refused(prepare, state["scenario"], reason)}
        context = prepare(scenario)
        try:  # ids come from the caller: only the server's allow-list may be loaded
            context.check_models()
        except (UsageError, ProviderUnavailableError) as exc:
            context.close()
            return {"record": refused_record(context, exc).to_json_dict()}
        writer = get_stream_writer()
        record = run_negotiation(context, graph=negotiation, on_event=writer)
        return {"record": record.to_json_dict()}

    graph = StateGraph(
        ServeState,
        context_schema=ServeContext,
        input_schema=ServeInput,
        output_schema=ServeOutput,
    )
    graph.add_node("negotiate", negotiate)
    graph.add_edge(START, "negotiate")
    graph.add_edge("negotiate", END)
    return graph.compile(name="maestro")


graph = make_graph()
