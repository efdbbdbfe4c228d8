"""The environment for a child `ckmon` or `scrapy` process that a test starts, and the folder it
starts in."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the project: scrapy.cfg is here


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment without `*_proxy` variables, plus `extra` (a PYTHONPATH in
    `extra` goes before the one inherited, which `pytest --clock-ahead` sets).

    Scrapy's proxy middleware reads those variables: with one set, a crawl of the loopback test
    sites would go through the proxy instead.
    """
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    if "PYTHONPATH" in extra and env.get("PYTHONPATH"):
        extra = {**extra, "PYTHONPATH": extra["PYTHONPATH"] + os.pathsep + env["PYTHONPATH"]}
    env.update(extra)
    return env
