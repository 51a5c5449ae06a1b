"""The output's atomic swap (Linux ``renameat2(RENAME_EXCHANGE)``) and the clean-up of what a killed or
interrupted swap leaves beside the output: staging folders and replaced trees."""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
from pathlib import Path

from generator.core import interrupts
from generator.publish.output import MARK, OutputPlace

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange_paths(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2). False if the system cannot."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(a))


def remove_leftovers(place: OutputPlace) -> None:
    """Delete what killed or interrupted builds left beside the output: staging folders (first moving back any
    of the user's dot-entries a build killed mid-swap left there) and replaced trees being deleted.

    Every build calls this once it holds the output's lock, one that finds nothing changed too.
    """
    area = place.work_area
    if not area.is_dir():
        return
    for stale in area.glob(place.staging_prefix + "*"):
        if not place.in_place:
            for entry in stale.iterdir():
                target = place.folder / entry.name
                if entry.name.startswith(".") and entry.name != MARK and not os.path.lexists(target):
                    os.rename(entry, target)
        shutil.rmtree(stale, ignore_errors=True)
    ours = f"{place.trash_prefix}{os.getpid()}-"  # being deleted by this process's thread (the preview)
    for trash in area.glob(place.trash_prefix + "*"):
        if not trash.name.startswith(ours):
            shutil.rmtree(trash, ignore_errors=True)


def remove_in_child(folder: Path) -> int | None:
    """Delete ``folder`` in a forked child, whose pid the caller waits for (None: deleted here).

    A replaced tree holds a link to every file of the site, and deleting it takes about as long as the
    build cache takes to save: done side by side on two cores, the build ends sooner. The child only
    deletes and exits, which is safe whatever threads the parent has.
    """
    try:
        pid = interrupts.fork()
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    if pid == 0:  # the child
        try:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            os._exit(0)
    return pid
