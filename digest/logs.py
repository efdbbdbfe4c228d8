"""Where the unattended modes log: stderr (errors only with --quiet) and an optional rotating file."""

from __future__ import annotations

import copy
import logging
import sys
from logging.handlers import RotatingFileHandler

from digest.config import LogConfig
from digest.errors import OutputError, os_reason

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Exceptions that mean "the site could not be reached": Twisted's connection and DNS errors and
# the HTTP client's lost responses, whatever Scrapy wraps them in.
_TRANSPORT_MODULES = ("twisted.internet.error", "twisted.web._newclient", "twisted.names.error")


def is_transport_noise(record: logging.LogRecord) -> bool:
    """A Scrapy line about a site that could not be reached (DNS, refused, timed out). ckmon
    reports each such outlet itself, in one line, so these only repeat it. (Retries given up are
    warnings: `RETRY_GIVE_UP_LOG_LEVEL` in spiders/settings.py.)"""
    if not record.name.startswith("scrapy."):
        return False
    seen = 0
    exc = record.exc_info[1] if record.exc_info else None
    while exc is not None and seen < 10:
        if isinstance(exc, (ConnectionError, TimeoutError)) or any(
            cls.__module__.startswith(_TRANSPORT_MODULES) for cls in type(exc).__mro__
        ):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


class StderrFormatter(logging.Formatter):
    """The usual format, without the traceback of a transport failure: an unreachable site is a
    fact about the network, not a bug, and 28 offline outlets made thousands of traceback lines."""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and is_transport_noise(record):
            record = copy.copy(record)  # other handlers (the log file) keep the traceback
            record.exc_info = None
            record.exc_text = None
        return super().format(record)


class QuietFilter(logging.Filter):
    """--quiet: errors only, and not Scrapy's repetitions of an outlet failure ckmon reports."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR and not is_transport_noise(record)


class LogFile(RotatingFileHandler):
    """The [log] file, rotated. A write that fails (the disk filled up during the run) is said once
    on stderr, in one line, and the file is left alone from then on: logging's own report is a
    traceback for every record, and the run's real outcome must stay readable."""

    failed = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.failed:
            super().emit(record)

    def handleError(self, record: logging.LogRecord | None) -> None:
        self._fail(sys.exc_info()[1])

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as exc:
            self._fail(exc)

    def close(self) -> None:
        try:
            super().close()
        except OSError as exc:  # what was still buffered cannot be written either
            self._fail(exc)

    def _fail(self, exc: BaseException | None) -> None:
        if self.failed:
            return
        self.failed = True
        why = os_reason(exc) if isinstance(exc, OSError) else repr(exc)
        sys.stderr.write(
            f"ckmon: the log file {self.baseFilename} cannot be written ({why}): "
            "logging to it stopped for this run\n"
        )


def _stderr_handler() -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(StderrFormatter(FORMAT))
    return handler


def install_stderr_handler() -> None:
    """The process's stderr handler, at INFO, before any command runs."""
    logging.basicConfig(level=logging.INFO, handlers=[_stderr_handler()])


def configure_logging(config: LogConfig, *, quiet: bool, to_file: bool = True) -> None:
    """Quiet stderr down to errors (ckmon prints its own progress and summary; cron mails whatever
    is printed); add the [log] file if set.

    The file keeps INFO even when quiet: it is where Scrapy's own log goes, and where a user looks
    after a run went wrong. `to_file` off: a crawl child whose output `ckmon schedule` relays into
    its own log (two processes rotating one file would lose lines).
    """
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    streams = [
        h
        for h in root.handlers
        if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
    ]
    if not streams:
        streams = [_stderr_handler()]
        root.addHandler(streams[0])
    for handler in streams:
        if quiet and not any(isinstance(f, QuietFilter) for f in handler.filters):
            handler.addFilter(QuietFilter())
    if config.file is not None and to_file:
        try:
            config.file.parent.mkdir(parents=True, exist_ok=True)
            handler = LogFile(
                config.file,
                maxBytes=config.max_bytes,
                backupCount=config.backups,
                encoding="utf-8",
            )
        except OSError as exc:
            raise OutputError(
                f"cannot write the log file {config.file} ([log] file): {os_reason(exc)}"
            ) from exc
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.setLevel(logging.INFO)
        root.addHandler(handler)
