"""``python -m generator`` and the ``newsdigest`` command: SIGINT and SIGTERM are handled before anything
heavy is imported, so an interrupt even while the generator starts is one line, never a traceback."""

from __future__ import annotations

import sys

from generator.core.interrupts import Interrupted, held_from_now, install


def run() -> None:
    install()
    try:
        from generator.commands.cli import main
    except Interrupted as interrupt:  # while starting: nothing has been read or written yet
        print(interrupt, file=sys.stderr)
        sys.exit(interrupt.exit_status)
    status = main()
    held_from_now()
    sys.exit(status)


if __name__ == "__main__":
    run()
