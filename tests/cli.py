"""The real `ckmon` command in a child process, and a workspace for it to crawl loopback sites."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.childenv import ROOT, child_env
from tests.children import run


def days_ago(days: int) -> str:
    """The day `days` before today (UTC) as YYYY-MM-DD, for `--since`: fixture dates are relative
    to the moment their server started, so the bound is too."""
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%d")


def write_workspace(tmp: Path, sources: str) -> Path:
    """A ckmon.toml for a crawl of loopback sites into a temp store; returns its path."""
    (tmp / "sources.toml").write_text(sources, encoding="utf-8")
    config = tmp / "ckmon.toml"
    config.write_text(
        """
[crawl]
allow_private_addresses = true   # the test site is on loopback
sources_file = "sources.toml"

[scrapy]
DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = false
LOG_LEVEL = "INFO"
""",
        encoding="utf-8",
    )
    return config


def ckmon(
    config: Path,
    *args: str,
    timeout: float = 120,
    env: dict[str, str] | None = None,
    at: datetime | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the real `ckmon` command in a child process (a Twisted reactor runs once per process),
    with `env` added to its environment; `at`: with its clock moved to that moment (`tests.travel`).
    """
    extra = dict(env or {})
    command = [sys.executable, "-m", "digest", *args]
    if at is not None:
        command = [sys.executable, "-m", "tests.travel", at.isoformat(), *args]
        extra["PYTHONPATH"] = str(ROOT)  # the child starts in the workspace, not the project
    variables = child_env(CKMON_CONFIG=str(config), **extra)
    return run(command, cwd=config.parent, env=variables, timeout=timeout)
