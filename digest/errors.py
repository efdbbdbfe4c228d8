"""One family of errors, turned into a message and an exit code only in `cli.py`."""

from __future__ import annotations


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
