"""Where the unattended modes log: stderr (errors only with --quiet) and an optional rotating file."""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler

from digest.config import Config

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(config: Config, *, quiet: bool) -> None:
    """Quiet stderr down to errors (cron mails whatever is printed); add the [log] file if set.

    The file keeps INFO even when quiet: it is where a user looks after a run went wrong.
    """
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    streams = [
        h
        for h in root.handlers
        if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
    ]
    if not streams:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
        streams = [handler]
    for handler in streams:
        handler.setLevel(logging.ERROR if quiet else logging.NOTSET)
    if config.log_file is not None:
        config.log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            config.log_file,
            maxBytes=config.log_max_bytes,
            backupCount=config.log_backups,
            encoding="utf-8",
        )
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.setLevel(logging.INFO)
        root.addHandler(handler)
