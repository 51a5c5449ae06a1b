"""How many processes a build may run side by side within the memory it may use.

A forked worker shares this process's memory only until it touches it: reference counting writes to every
object a worker reads, so a render worker comes to hold a private copy of most of the heap. Two workers on a
large site therefore take about three times this process's memory, which a small host does not have. The
budget is, in order: ``NEWSDIGEST_MEMORY_LIMIT`` (bytes, or with a K, M or G suffix, e.g. ``2G``), the
memory limit of the cgroup the build runs in (a container, a CI runner, a systemd unit), or what the machine
has available. A build that cannot afford two workers beside itself works in one process: slower, never
killed for memory.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

LIMIT_VARIABLE = "NEWSDIGEST_MEMORY_LIMIT"
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}


class BadLimit(ValueError):
    """NEWSDIGEST_MEMORY_LIMIT is not a size; the message is one line for the user."""


def parse_size(text: str) -> int:
    """Bytes of "2G", "1500M", "800000K" or "2147483648" (binary units, as free(1) and cgroups count)."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)i?B?\s*", text, re.IGNORECASE)
    if found is None or float(found[1]) <= 0:
        raise BadLimit(f"{LIMIT_VARIABLE}={text!r} is not a size (for example 2G or 1500M)")
    return int(float(found[1]) * _UNITS[found[2].upper()])


def memory_budget() -> int | None:
    """Bytes this build's processes may hold together, or None if nothing says."""
    given = os.environ.get(LIMIT_VARIABLE, "").strip()
    if given:
        return parse_size(given)
    limits = [limit for limit in (_cgroup_limit(), _available()) if limit is not None]
    return min(limits, default=None)


def own_memory() -> int:
    """The memory this process holds on its own (bytes): what each worker forked now is expected to come to hold."""
    try:
        fields = dict(
            line.split(":", 1) for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:] if ":" in line
        )
        return sum(int(fields[key].split()[0]) for key in ("Private_Clean", "Private_Dirty")) * 1024
    except (OSError, KeyError, ValueError):
        return 0


def affordable(each: int, wanted: int) -> int:
    """How many of ``wanted`` processes, each expected to hold ``each`` bytes, fit in the budget beside this one
    (at least one: the work must be done)."""
    budget = memory_budget()
    if budget is None or each <= 0:
        return wanted
    return max(1, min(wanted, (budget - own_memory()) // each))


def roomy(share: float) -> bool:
    """Whether the budget holds this process with ``share`` of its memory more."""
    budget = memory_budget()
    return budget is None or budget >= own_memory() * (1 + share)


def _cgroup_limit() -> int | None:
    """cgroup v2's memory.max for this process, if it has one."""
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            if line.startswith("0::"):
                text = (Path("/sys/fs/cgroup") / line[3:].strip().lstrip("/") / "memory.max").read_text().strip()
                return None if text == "max" else int(text)
    except (OSError, ValueError):
        pass
    return None


def _available() -> int | None:
    """What the machine has available, plus what this process holds (it is the budget's, not spent)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024 + own_memory()
    except (OSError, ValueError, IndexError):
        pass
    return None
