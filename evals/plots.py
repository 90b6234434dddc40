"""Headless matplotlib (Agg): figures are files, never windows."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, folder: Path, name: str) -> str:
    """Write a PNG atomically (a full disk leaves no half image) and close the figure."""
    plt = pyplot()
    target = folder / name
    tmp = folder / f".{name}.tmp"
    try:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
        plt.close(fig)
    return str(target)
