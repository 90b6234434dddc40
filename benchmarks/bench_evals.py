"""Evaluation-suite throughput: games per minute, and the full personality suite extrapolated.

Run: .venv/bin/python benchmarks/bench_evals.py [--games 2] [--pairs N-N,T-T] [--skip-server]

Prints:
1. the personality suite on the embedded model (a small sample: `--games` games on each of
   `--pairs`, plus the optimizer-only baseline games), its games per minute and the wall time
   of the full suite (8 pairs x 50 games) extrapolated from it, against the 60-minute goal;
2. games per minute against llama.cpp's OpenAI-compatible server (`python -m
   llama_cpp.server`, the dev extra) serving the shipped SmolLM2 model, with `--workers 8`
   and with one worker, and their ratio.

Timings depend on the machine and its load: read the ratios, not single figures.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from maestro.evals import PAPER_PAIRS, EvalConfig, parse_pairs, run_suite

FULL_GAMES = 50 * len(PAPER_PAIRS)


def timed_suite(config: EvalConfig, workers: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        outcome = run_suite(config, Path(folder) / "run", workers=workers)
        wall = time.perf_counter() - start
    return wall, outcome.played


def embedded(games: int, pairs: tuple[str, ...]) -> None:
    config = EvalConfig("personality", model="local", games=games, pairs=pairs)
    wall, played = timed_suite(config, workers=1)
    llm = games * len(pairs)
    # Baseline games run on the scripted model in a fraction of a second: charge the wall
    # time to the LLM games, which dominate it.
    per_game = wall / llm
    full_min = per_game * FULL_GAMES / 60
    print("personality suite on the embedded model (local), one game at a time")
    print(f"  sample: {llm} LLM games ({games} x {len(pairs)} pairs) + {played - llm} baseline")
    print(f"  wall {wall:.1f} s, {60 / per_game:.2f} games/min, {per_game:.1f} s/game")
    print(
        f"  full suite ({FULL_GAMES} games) extrapolated: {full_min:.1f} min "
        f"({'within' if full_min <= 60 else 'above'} the 60-minute goal)"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("llama_cpp.server did not answer within 120 s")


def served(games: int) -> None:
    from maestro.agents.providers.catalog import smollm2_path

    model = smollm2_path()
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "4096",
        "--model_alias",
        "smollm2",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(f"http://127.0.0.1:{port}/v1/models", proc)
        os.environ["OPENAI_BASE_URL"] = f"http://127.0.0.1:{port}/v1"
        os.environ.setdefault("OPENAI_API_KEY", "bench")
        config = EvalConfig("personality", model="openai:smollm2", games=games, pairs=("N-N",))
        rates = {}
        for workers in (8, 1):
            wall, _ = timed_suite(config, workers)
            rates[workers] = 60 * games / wall
            print(
                f"  --workers {workers}: {games} games in {wall:.1f} s, {rates[workers]:.2f} games/min"
            )
        print(f"  ratio workers 8 / 1: {rates[8] / rates[1]:.2f}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=2, help="games per pair (embedded sample)")
    parser.add_argument("--pairs", default="N-N,T-T", help="pairs of the embedded sample")
    parser.add_argument("--served-games", type=int, default=8, help="games against the server")
    parser.add_argument("--skip-server", action="store_true")
    args = parser.parse_args()
    embedded(args.games, parse_pairs(args.pairs))
    if not args.skip_server:
        print("personality games against llama.cpp's OpenAI-compatible server (SmolLM2)")
        served(args.served_games)


if __name__ == "__main__":
    main()
