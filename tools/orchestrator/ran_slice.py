"""The RAN emulator CNF with its slice policy as package parameters (`network-ran-slice`).

MAESTRO enforces an agreement as a slice policy on the RAN; CAMINO changes a network
function by changing its package in git. Here the two meet: the agreed throughput is a
setter of this package (`slice`, `mbps`), the reconciler rolls the workload when git
changes, and the new process starts the emulated cell with that policy in force — sized for
the cell's CQI as `enforce_throughput` does — then serves it as `maestro ran serve` does
(GET /state, /metrics, /healthz open on loopback; changes need a token nobody else has, so
git stays the only way to change the policy).

With `--policy` the package carries the whole slice policy, checked before it was
submitted (graphs.slice_rules: the slice-policy rules of a `regulation:` section, reserved
slices included): the cell applies exactly that policy and offers `mbps` to `slice`, instead
of sizing a one-slice policy itself. The parameter is compact text, one slice per comma,
`id:sst:min:max:dedicated[:sd]` in whole percent (`encode_policy` / `decode_policy`).

An agreement the cell cannot carry never becomes healthy: the process exits with code 2
and the reason, so the edge reports the workload failing instead of a policy in force.

    python -m maestro.tools.orchestrator.ran_slice --port 20000 --slice sla --mbps 40 --cqi 12
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from maestro.tools.ran import CellConfig, CellState, PolicyOutcome, RanEmulator
    from maestro.tools.ran.slices import SlicePolicy

BANDWIDTH_MHZ, SCS_KHZ = 40.0, 30  # the CNF's cell unless its arguments say otherwise


def cnf_cell(bandwidth_mhz: float = BANDWIDTH_MHZ, scs_khz: int = SCS_KHZ) -> CellConfig:
    """The cell this CNF emulates (band n78 at the given bandwidth and SCS)."""
    from maestro.tools.ran import CellConfig

    return CellConfig.model_validate(
        CellConfig.oai_band78().model_dump() | {"bandwidth_mhz": bandwidth_mhz, "scs_khz": scs_khz}
    )


def cnf_cell_state(cqi: int, seed: int = 0) -> CellState:
    """The state of a freshly started CNF cell, before any policy: what a policy submitted
    through the orchestrator lands on (each rollout starts a new process)."""
    from maestro.tools.ran import RanEmulator

    return RanEmulator(cell=cnf_cell(), cqi=cqi, seed=seed).cell_state()


def encode_policy(policy: SlicePolicy) -> str:
    """The policy as the package's `policy` parameter."""
    return ",".join(
        ":".join(
            [s.slice_id, str(s.sst), str(s.min_ratio), str(s.max_ratio), str(s.dedicated_ratio)]
            + ([s.sd] if s.sd else [])
        )
        for s in policy.slices
    )


def decode_policy(text: str) -> SlicePolicy:
    """The policy from its parameter text; ValueError naming the bad part."""
    from maestro.tools.ran.slices import SlicePolicy, SliceRatio

    slices = []
    for part in text.split(","):
        fields = part.strip().split(":")
        if len(fields) not in (5, 6) or not all(f.isdigit() for f in fields[1:5]):
            raise ValueError(f"policy: {part!r} is not id:sst:min:max:dedicated[:sd]")
        sid, sst, low, high, dedicated = fields[0], *map(int, fields[1:5])
        slices.append(
            SliceRatio(
                slice_id=sid,
                sst=sst,
                min_ratio=low,
                max_ratio=high,
                dedicated_ratio=dedicated,
                sd=fields[5] if len(fields) == 6 else None,
            )
        )
    return SlicePolicy(slices=slices)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ran-slice", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cqi", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bandwidth", type=float, default=40.0)
    parser.add_argument("--scs", type=int, default=30)
    parser.add_argument("--slice", dest="slice_id", default="sla")
    parser.add_argument("--mbps", type=float, required=True)
    parser.add_argument("--policy", default="", help="the checked policy (see encode_policy)")
    args = parser.parse_args(argv)

    from maestro.tools.ran import RanEmulator, enforce_throughput
    from maestro.tools.ran.guard import new_token
    from maestro.tools.ran.server import bind_socket, serve

    try:
        emulator = RanEmulator(
            cell=cnf_cell(args.bandwidth, args.scs), cqi=args.cqi, seed=args.seed
        )
        if args.policy.strip():
            outcome = apply_checked(emulator, decode_policy(args.policy), args.slice_id, args.mbps)
        else:
            outcome = enforce_throughput(emulator, {args.slice_id: args.mbps})
    except ValueError as exc:
        print(f"ran-slice: {exc}", file=sys.stderr)
        return 2
    if not outcome.ok:
        print(f"ran-slice: policy not applied: {outcome.message}", file=sys.stderr)
        return 2
    achieved = outcome.state.slices[args.slice_id].mbps
    print(
        f"ran-slice: slice {args.slice_id} at {args.mbps:g} Mbps in force "
        f"(achieved {achieved:.2f} Mbps at CQI {outcome.state.cqi}); serving {args.host}:{args.port}",
        flush=True,
    )
    sock = bind_socket(args.host, args.port)
    serve(emulator, sock=sock, token=new_token())
    return 0


def apply_checked(
    emulator: RanEmulator, policy: SlicePolicy, slice_id: str, mbps: float
) -> PolicyOutcome:
    """Apply the policy as given and offer `mbps` to `slice_id`, which it must contain."""
    from maestro.tools.ran import PolicyOutcome
    from maestro.tools.ran.driver import check_demand

    check_demand(slice_id, mbps)
    if policy.get(slice_id) is None:
        raise ValueError(f"policy: no slice {slice_id!r} in it")
    outcome = emulator.apply_policy(policy)
    if outcome.ok:
        emulator.set_demand(slice_id, mbps)
        outcome = PolicyOutcome(ok=True, message=outcome.message, state=emulator.cell_state())
    return outcome


if __name__ == "__main__":
    sys.exit(main())
