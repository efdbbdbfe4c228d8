"""Named places where a test may kill the process, to prove a crash there loses nothing.

`CKMON_CRASH_AT=<name>` (or `<name>:<n>`, the n-th time that place is reached) makes
`crashpoint(name)` send SIGKILL to its own process: no cleanup, no flush, as in a power cut.
Unset (always, outside tests), a call is one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

_reached: dict[str, int] = {}


def crashpoint(name: str) -> None:
    """Die here, by SIGKILL, if `$CKMON_CRASH_AT` names this place (and the count is reached)."""
    target = os.environ.get("CKMON_CRASH_AT")
    if not target:
        return
    wanted, _, nth = target.partition(":")
    if name != wanted:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
