"""The machine a benchmark ran on, in one line: CPU model, cores, RAM, OS and Python."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def _first_value(path: Path, key: str, separator: str = ":") -> str | None:
    """The value of the first ``key: value`` line of a ``/proc``-style file, if any."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        name, _, value = line.partition(separator)
        if name.strip() == key:
            return value.strip()
    return None


def cpu_model() -> str:
    """The CPU's model name (Linux ``/proc/cpuinfo``), else what the platform says."""
    return _first_value(Path("/proc/cpuinfo"), "model name") or platform.processor() or "CPU"


def memory_gib() -> float | None:
    """Total RAM in GiB (Linux ``/proc/meminfo``), or None where unknown."""
    total = _first_value(Path("/proc/meminfo"), "MemTotal")
    if total is None or not total.endswith("kB"):
        return None
    return int(total.removesuffix("kB")) / 2**20


def operating_system() -> str:
    """The distribution's name (``/etc/os-release``) and the kernel, or the platform's name."""
    pretty = _first_value(Path("/etc/os-release"), "PRETTY_NAME", "=")
    kernel = f"{platform.system()} {platform.release()}"
    return ", ".join([pretty.strip("\"'"), kernel]) if pretty else kernel


def describe_machine() -> str:
    """One line, e.g. ``AMD EPYC 7B13, 2 cores, 23.5 GiB RAM, Debian GNU/Linux 12, Linux 6.1``."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    ram = memory_gib()
    parts = [
        cpu_model(),
        f"{cores} cores",
        f"{ram:.1f} GiB RAM" if ram is not None else "RAM unknown",
        operating_system(),
        f"Python {platform.python_version()}",
    ]
    return ", ".join(parts)
