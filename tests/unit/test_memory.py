"""The C heap's free memory goes back to the system after a step that dropped much of it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generator.core.memory import _trimmer

REPO = Path(__file__).resolve().parents[2]

# Many dicts of a word vector's size (their tables come from the C library's allocator), among small objects
# that stay: dropped, their memory stays in the process until it is given back.
SCRIPT = """
import gc
from pathlib import Path
from generator.core.memory import give_back_free_memory

def private():
    lines = Path("/proc/self/smaps_rollup").read_text().splitlines()
    return sum(int(line.split()[1]) for line in lines if line.startswith(("Private_Dirty:", "Private_Clean:")))

base = private()
kept, dropped = [], []
for n in range(100_000):
    dropped.append({f"w{m}": float(m) for m in range(40)})
    kept.append(str(n))
grown = private() - base
del dropped
gc.collect()
freed = private() - base
give_back_free_memory()
print(grown, freed, private() - base)
"""


@pytest.mark.skipif(_trimmer() is None, reason="this C library has no malloc_trim (not glibc): nothing to give back")
def test_memory_freed_among_kept_objects_goes_back_to_the_system():
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, check=True)
    grown, freed, given_back = map(int, done.stdout.split())
    assert freed > grown * 0.8  # freed, but still the process's
    assert given_back < freed - grown * 0.1
