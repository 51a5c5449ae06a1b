"""Timing a child process for the benchmarks: wall time and peak memory."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def build_command(content: Path, output: Path, config: Path | None = None) -> list[str]:
    """A quiet one-off build of ``content`` into ``output`` in a new process, as the benchmarks run it."""
    command = [sys.executable, "-m", "generator", "build", "--quiet"]
    command += ["--content", str(content), "--output", str(output)]
    return [*command, "--config", str(config)] if config else command


def timed_command(args: list[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak memory (MiB) of a child process."""
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"command failed: {' '.join(args)}")
    return elapsed, usage.ru_maxrss // 1024


def timed_tree(
    args: list[str], cwd: Path, every: float = 0.2, env: dict[str, str] | None = None
) -> tuple[float, int]:
    """Wall seconds and the peak memory (MiB) of a child process and every process it starts (forked workers,
    Pagefind), summed as PSS so that pages forked workers still share count once; sampled every ``every`` s.
    ``env``: variables set for the child beside this process's."""
    started = time.perf_counter()
    process = subprocess.Popen(
        args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})}
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, sum(_pss_kib(pid) for pid in _tree(process.pid)))
        time.sleep(every)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"command failed: {' '.join(args)}")
    return elapsed, peak // 1024


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, waiting = [], [root]
    while waiting:
        pid = waiting.pop()
        found.append(pid)
        waiting += children.get(pid, [])
    return found


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0
