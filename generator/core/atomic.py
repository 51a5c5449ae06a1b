"""Files that are whole or absent: written beside their place under a hidden name, then renamed over it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def process_umask() -> int:
    """The process's umask, read without changing it (from /proc; 022 where that cannot be read)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def write_atomically(path: Path, data: bytes, durable: bool = False) -> None:
    """Replace ``path`` by ``data`` in one step: a reader, or a run killed meanwhile, sees the old file or the new.

    ``durable`` also waits for the disk (state that must survive a power cut: a lost one costs a rebuild or
    a duplicate, a torn one would be worse). The hidden temporary name keeps watchers and scanners away.
    The file gets the mode ``open`` would give it (the umask's), not the temporary file's 0600.
    """
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        os.fchmod(descriptor, 0o666 & ~process_umask())
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            if durable:
                file.flush()
                os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
