"""The RAN driver's Prometheus gauges, read from the driver at scrape time."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from .driver import CellState, RanDriver

METRIC_NAMES = (
    "maestro_ran_cell_on",
    "maestro_ran_cqi",
    "maestro_ran_capacity_mbps",
    "maestro_ran_throughput_mbps",
    "maestro_ran_demand_mbps",
    "maestro_ran_prbs_used",
    "maestro_ran_prbs_total",
    "maestro_ran_time_seconds",
    "maestro_ran_slice_throughput_mbps",
    "maestro_ran_slice_demand_mbps",
    "maestro_ran_slice_prbs",
    "maestro_ran_slice_min_ratio",
    "maestro_ran_slice_max_ratio",
    "maestro_ran_slice_dedicated_ratio",
)


class RanCollector:
    """Reads the driver at scrape time, so /metrics is never staler than the cell itself."""

    def __init__(self, driver: RanDriver) -> None:
        self.driver = driver

    def collect(self) -> Iterator[Metric]:
        yield from state_metrics(self.driver.cell_state())


def state_metrics(state: CellState) -> Iterator[Metric]:
    """The Prometheus gauges for one cell state."""

    def gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, doc, value=value)

    yield gauge("maestro_ran_cell_on", "1 when the cell is on, 0 when switched off", state.on)
    yield gauge(
        "maestro_ran_cqi", "Channel quality indicator reported by the cell (0..15)", state.cqi
    )
    yield gauge(
        "maestro_ran_capacity_mbps",
        "Downlink capacity of the whole cell at this CQI",
        state.capacity_mbps,
    )
    yield gauge(
        "maestro_ran_throughput_mbps",
        "Downlink throughput carried by all slices",
        state.throughput_mbps,
    )
    yield gauge("maestro_ran_demand_mbps", "Downlink load offered by all slices", state.demand_mbps)
    yield gauge(
        "maestro_ran_prbs_used", "PRBs granted in the last scheduling step", state.prbs_used
    )
    yield gauge("maestro_ran_prbs_total", "PRBs in the carrier (TS 38.101-1)", state.n_prb)
    yield gauge("maestro_ran_time_seconds", "Emulated clock: seconds into the trace", state.t_s)
    per_slice: list[tuple[str, str, Callable[[str], float | None]]] = [
        (
            "maestro_ran_slice_throughput_mbps",
            "Downlink throughput carried by the slice",
            lambda sid: state.slices[sid].mbps,
        ),
        (
            "maestro_ran_slice_demand_mbps",
            "Downlink load offered by the slice",
            lambda sid: state.slices[sid].demand_mbps,
        ),
        (
            "maestro_ran_slice_prbs",
            "PRBs granted to the slice in the last step",
            lambda sid: state.slices[sid].prbs,
        ),
    ]
    for name, doc, value_of in per_slice:
        family = GaugeMetricFamily(name, doc, labels=["slice"])
        for sid in state.slices:
            family.add_metric([sid], float(value_of(sid) or 0.0))
        yield family
    ratios = list(state.policy.slices) if state.policy is not None else []
    for field, doc in (
        ("min_ratio", "rRMPolicyMinRatio in force for the slice (percent of PRBs)"),
        ("max_ratio", "rRMPolicyMaxRatio in force for the slice (percent of PRBs)"),
        ("dedicated_ratio", "rRMPolicyDedicatedRatio in force for the slice (percent of PRBs)"),
    ):
        family = GaugeMetricFamily(f"maestro_ran_slice_{field}", doc, labels=["slice"])
        for ratio in ratios:
            family.add_metric([ratio.slice_id], float(getattr(ratio, field)))
        yield family


__all__ = ["METRIC_NAMES", "RanCollector", "state_metrics"]
