"""A downloader middleware for tests, placed after ckmon's host gate: it records, for each request
the gate let through, when the gate booked it to start and when it left the gate.

A crawl child loads it from ckmon.toml (`with_gate_recorder`), beside the project's own
middlewares; it observes and changes nothing. The times are the reactor's (wall clock seconds, as
`time.time()`), so a test can set them beside what its loopback server recorded.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from scrapy import Request
from scrapy.settings.default_settings import DOWNLOADER_MIDDLEWARES_BASE

from tests.support.childenv import ROOT

ORDER = 980  # after spiders.middlewares.HostGateMiddleware (970)
VARIABLE = "CKMON_TEST_GATE_LOG"


class GateRecorder:
    def __init__(self) -> None:
        self.path = Path(os.environ[VARIABLE])

    def process_request(self, request: Request) -> None:
        booked = request.meta.get("ckmon_gate_booked")
        row = {
            "url": request.url,
            "booked": booked[1] if booked else None,  # the start the gate gave it
            "left": time.time(),
        }
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(row) + "\n")


def with_gate_recorder(config: Path) -> dict[str, str]:
    """Add the recorder to the `[scrapy]` table of `config` (which must end with that table): to
    Scrapy's base downloader middlewares, so the project's own are left as they are; returns the
    environment the child needs."""
    middlewares = {**DOWNLOADER_MIDDLEWARES_BASE, f"{__name__}.GateRecorder": ORDER}
    table = ", ".join(f'"{name}" = {order}' for name, order in middlewares.items())
    with config.open("a", encoding="utf-8") as out:
        out.write(f"DOWNLOADER_MIDDLEWARES_BASE = {{ {table} }}\n")
    # The child starts in the workspace: the project folder on its path finds this module.
    return {VARIABLE: str(config.parent / "gate.jsonl"), "PYTHONPATH": str(ROOT)}


def recorded(config: Path) -> list[dict[str, float | str | None]]:
    path = config.parent / "gate.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
