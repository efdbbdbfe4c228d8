"""`python -m tests.support.travel MOMENT ARGS...` is `ckmon ARGS...` with its clock moved to MOMENT (ISO
8601, with a zone), from where it goes on ticking.

For tests that must hold on any date: the test moves its own clock with time-machine and starts its
`ckmon` child through this module (`tests.support.cli.ckmon(..., at=MOMENT)`), so the child reads the same
date. time-machine moves `time.time`, `datetime.now` and the like before ckmon is imported; the
monotonic clocks that time-outs use keep running as they are.
"""

from __future__ import annotations

import sys
from datetime import datetime

import time_machine


def main() -> None:
    moment = datetime.fromisoformat(sys.argv[1])
    if moment.tzinfo is None:
        raise SystemExit(f"tests.support.travel: {sys.argv[1]!r} has no time zone")
    sys.argv = ["ckmon", *sys.argv[2:]]
    with time_machine.travel(moment, tick=True):
        from digest.cli import main as ckmon

        ckmon()


if __name__ == "__main__":
    main()
