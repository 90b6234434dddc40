"""The RAN driver: NR capacity, slice policies, radio traces, and the cell behind an interface.

Radio side (NR tables, TBS, cell capacity, TS 28.541 slice ratios, traces, mobility) and the
driver side (the `RanDriver` protocol, the in-process emulator, its HTTP server and client,
PromQL reading) are re-exported here, so callers write `from maestro.tools.ran import ...`.
"""

from .cell import (
    CellConfig,
    InfeasibleRequest,
    TddPattern,
    capacity_table,
    peak_rate_mbps,
    prbs_for_demand,
    prbs_for_throughput,
    throughput_array,
    throughput_mbps,
)
from .client import HttpRanDriver
from .driver import (
    CellState,
    PolicyOutcome,
    RanDriver,
    RanDriverError,
    RanObservation,
    SliceState,
    enforce_throughput,
    observation_from_state,
    observe,
)
from .emulator import RanEmulator
from .guard import MAX_SLICE_MBPS, TOKEN_ENV, Limits
from .mobility import synthetic_trace
from .nr_tables import (
    CQI_TABLES,
    MCS_TABLES,
    cqi_entry,
    cqi_to_mcs,
    max_nrb,
    mcs_entry,
)
from .promql import PromQLClient, PromQLError, observe_prometheus
from .server import METRIC_NAMES, RanServer, bind_socket, create_app, serve
from .slices import (
    SlicePolicy,
    SliceRatio,
    allocate_prbs,
    from_nvs,
    policy_for_throughput,
    slice_throughputs,
    to_nvs,
)
from .tbs import transport_block_size, transport_block_sizes
from .traces import RadioTrace, TraceFormatError, load_raca_trace

__all__ = [
    "CQI_TABLES",
    "METRIC_NAMES",
    "MAX_SLICE_MBPS",
    "MCS_TABLES",
    "TOKEN_ENV",
    "CellConfig",
    "CellState",
    "HttpRanDriver",
    "InfeasibleRequest",
    "Limits",
    "PolicyOutcome",
    "PromQLClient",
    "PromQLError",
    "RadioTrace",
    "RanDriver",
    "RanDriverError",
    "RanEmulator",
    "RanObservation",
    "RanServer",
    "SlicePolicy",
    "SliceRatio",
    "SliceState",
    "TddPattern",
    "TraceFormatError",
    "allocate_prbs",
    "bind_socket",
    "capacity_table",
    "cqi_entry",
    "cqi_to_mcs",
    "create_app",
    "enforce_throughput",
    "from_nvs",
    "load_raca_trace",
    "max_nrb",
    "mcs_entry",
    "observation_from_state",
    "observe",
    "observe_prometheus",
    "peak_rate_mbps",
    "policy_for_throughput",
    "prbs_for_demand",
    "prbs_for_throughput",
    "serve",
    "slice_throughputs",
    "synthetic_trace",
    "throughput_array",
    "throughput_mbps",
    "to_nvs",
    "transport_block_size",
    "transport_block_sizes",
]
