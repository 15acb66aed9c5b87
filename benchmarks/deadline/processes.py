"""CPU and memory of processes, from /proc: what one declaration costs each service, measured from outside."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name may hold spaces and parentheses: the fields start after the last ')'
    return raw[raw.rindex(")") + 2 :].split()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(c) for c in task.read_text().split()]
        except OSError:
            continue
    return found


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid``, of its reaped children and of its live descendants (workers, if any)."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # utime, stime, cutime, cstime: fields 14-17 of stat(5), here shifted by the two fields before ')'
    total = sum(int(v) for v in fields[11:15]) / _TICKS
    return total + sum(tree_cpu_seconds(child) for child in _children(pid))


def peak_rss_mb(pid: int) -> float:
    """The peak resident set (VmHWM) of ``pid`` and of its live descendants, in MiB."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0.0
    kib = next((int(line.split()[1]) for line in lines if line.startswith("VmHWM:")), 0)
    return kib / 1024 + sum(peak_rss_mb(child) for child in _children(pid))


def own_cpu_seconds() -> float:
    """User + system CPU of this process alone: the services it started are its children, not its work."""
    times = os.times()
    return times.user + times.system


@dataclass
class CpuMeter:
    """CPU seconds of named process trees, and of this process as ``client``, between ``start()`` and ``stop()``."""

    pids: dict[str, int]

    def __post_init__(self) -> None:
        self._start: dict[str, float] = {}
        self.used: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        return {**{name: tree_cpu_seconds(pid) for name, pid in self.pids.items()}, "client": own_cpu_seconds()}

    def start(self) -> None:
        self._start = self._now()

    def stop(self) -> dict[str, float]:
        self.used = {name: used - self._start[name] for name, used in self._now().items()}
        return self.used
