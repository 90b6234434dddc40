"""The RAN emulator CNF with its slice policy as package parameters (`network-ran-slice`).

MAESTRO enforces an agreement as a slice policy on the RAN; CAMINO changes a network
function by changing its package in git. Here the two meet: the agreed throughput is a
setter of this package (`slice`, `mbps`), the reconciler rolls the workload when git
changes, and the new process starts the emulated cell with that policy in force — sized for
the cell's CQI as `enforce_throughput` does — then serves it as `maestro ran serve` does
(GET /state, /metrics, /healthz open on loopback; changes need a token nobody else has, so
git stays the only way to change the policy).

An agreement the cell cannot carry never becomes healthy: the process exits with code 2
and the reason, so the edge reports the workload failing instead of a policy in force.

    python -m maestro.tools.orchestrator.ran_slice --port 20000 --slice sla --mbps 40 --cqi 12
"""

from __future__ import annotations

import argparse
import sys


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
    args = parser.parse_args(argv)

    from maestro.tools.ran import CellConfig, RanEmulator, enforce_throughput
    from maestro.tools.ran.guard import new_token
    from maestro.tools.ran.server import bind_socket, serve

    try:
        cell = CellConfig.model_validate(
            CellConfig.oai_band78().model_dump()
            | {"bandwidth_mhz": args.bandwidth, "scs_khz": args.scs}
        )
        emulator = RanEmulator(cell=cell, cqi=args.cqi, seed=args.seed)
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


if __name__ == "__main__":
    sys.exit(main())
