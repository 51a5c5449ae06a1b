"""Files that are whole or absent: written beside their place under a hidden name, then renamed over it."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes, durable: bool = False) -> None:
    """Replace ``path`` by ``data`` in one step: a reader, or a run killed meanwhile, sees the old file or the new.

    ``durable`` also waits for the disk (state that must survive a power cut: a lost one costs a rebuild or
    a duplicate, a torn one would be worse). The hidden temporary name keeps watchers and scanners away.
    """
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            if durable:
                file.flush()
                os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
