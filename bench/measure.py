"""Timing a child process for the benchmarks: wall time and peak memory."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path


def timed_command(args: list[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak memory (MiB) of a child process."""
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"command failed: {' '.join(args)}")
    return elapsed, usage.ru_maxrss // 1024
