"""Kubernetes resource quantities: CPU in millicores, memory in bytes.

Admission adds requests up, so both sides must be numbers; the manifests keep the
Kubernetes spelling ("250m", "64Mi") so that a real cluster reads the same values.
"""

from __future__ import annotations

import math
import re

_CPU = re.compile(r"^(\d+(?:\.\d+)?)(m?)$")
_MEM = re.compile(r"^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$")
_MEM_UNITS = {
    None: 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def cpu_millis(value: str | int | float) -> int:
    """'250m' -> 250, '1.5' or 1.5 -> 1500. Raises ValueError for anything else."""
    if isinstance(value, bool):
        raise ValueError(f"not a CPU quantity: {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"not a CPU quantity: {value!r}")
        return round(value * 1000)
    m = _CPU.match(str(value).strip())
    if not m:
        raise ValueError(f"not a CPU quantity (e.g. 250m or 0.5): {value!r}")
    number = float(m.group(1))
    return round(number if m.group(2) else number * 1000)


def memory_bytes(value: str | int | float) -> int:
    """'64Mi' -> 67108864, '1G' -> 10**9, 1024 -> 1024. Raises ValueError for anything else."""
    if isinstance(value, bool):
        raise ValueError(f"not a memory quantity: {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"not a memory quantity: {value!r}")
        return int(value)
    m = _MEM.match(str(value).strip())
    if not m:
        raise ValueError(f"not a memory quantity (e.g. 64Mi or 1Gi): {value!r}")
    return int(float(m.group(1)) * _MEM_UNITS[m.group(2)])


def format_cpu(millis: int) -> str:
    return f"{millis // 1000}" if millis % 1000 == 0 else f"{millis}m"


def format_memory(n: int) -> str:
    for unit in ("Gi", "Mi", "Ki"):
        if n % _MEM_UNITS[unit] == 0 and n >= _MEM_UNITS[unit]:
            return f"{n // _MEM_UNITS[unit]}{unit}"
    return str(n)
