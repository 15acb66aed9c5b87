"""CPU time a server spends, read from /proc: a process and its descendants (uvicorn's workers), user + system.

Throughput on a shared box follows the box's load; the CPU a server spent per call does much less (it is what the
server itself did, whoever else runs): ``make bench-reads`` prints both, each read's beside its baselines'.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:  # gone meanwhile
        return None
    return raw[raw.rindex(")") + 2 :].split()  # after the command name, which may hold spaces


def _tree(root: int) -> list[int]:
    """``root`` and its descendants, from each process's parent id."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def cpu_seconds(root: int) -> float:
    """User + system CPU seconds spent so far by ``root`` and its living descendants (0 where /proc is absent)."""
    if not PROC.is_dir():
        return 0.0
    total = 0
    for pid in _tree(root):
        if (fields := _stat(pid)) is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / TICKS
