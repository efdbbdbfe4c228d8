"""One family of errors, turned into a message and an exit code only in `cli.py`."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class CkmonError(Exception):
    """Base of every error ckmon reports to the user."""

    exit_code = 1


class ConfigError(CkmonError):
    """A setting or a source entry is wrong; the message names the file and key."""

    exit_code = 2


class OutputError(CkmonError):
    """A folder ckmon writes to (outbox, archive, preview, log, lock) cannot be written: read-only,
    full, or not a folder; the message names the setting and the system's reason."""

    exit_code = 2


class StoreError(CkmonError):
    """The store could not be opened: its server is down or unreachable, or the URL is wrong."""

    exit_code = 6


class LockedError(CkmonError):
    """Another ckmon run holds the lock."""

    exit_code = 75  # EX_TEMPFAIL: cron may simply try again later


def os_reason(exc: OSError) -> str:
    """The system's reason ("No space left on device"), without the path the message names."""
    return exc.strerror or str(exc) or type(exc).__name__


class DeliveryError(CkmonError):
    """The mail server could not be used (down, login or TLS refused); the edition stays pending."""

    exit_code = 5


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """A hint for a misspelt `name`: the known names it begins (up to three), else the closest
    one, as ` (did you mean 'x' or 'y'?)`; "" when none is close."""
    names = sorted(known)
    close = [n for n in names if name and n.startswith(name)][:3]
    close = close or difflib.get_close_matches(name, names, n=1)
    return f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
