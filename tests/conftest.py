"""Shared fixtures: the loopback test site, ../shared, child processes, and the PostgreSQL and Redis
test servers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from digest.fetch.localsite import serve
from tests.support.childenv import ROOT
from tests.support.children import Children

CLOCK_AHEAD = Path(__file__).parent / "clockahead"  # its sitecustomize moves a child's clock
SHARED = ROOT.parent / "shared"
# One small outlet, no registry (tests/sites has those); its dates: ages before 21 Nov 2026 00:00 UTC
SITE = Path(__file__).parent / "onesite"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock-ahead",
        type=float,
        metavar="DAYS",
        help="move the clock DAYS ahead (time-machine) for the tests and every Python child "
        "process they start: a check that no test depends on today's date",
    )


def pytest_configure(config: pytest.Config) -> None:
    days = config.getoption("--clock-ahead")
    if days:
        os.environ["CKMON_TEST_CLOCK_AHEAD"] = str(days)
        inherited = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(CLOCK_AHEAD), inherited) if p)
        time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True).start()


@pytest.fixture(scope="session")
def shared() -> Path:
    """../shared beside the project: skipped on a user's fresh clone, a failure in CI."""
    if not (SHARED / "fixtures").is_dir():
        reason = f"{SHARED} is absent: recorded pages and the corpus live there"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI always has it)")
        pytest.skip(reason)
    return SHARED


@pytest.fixture
def site() -> Iterator[tuple[str, list[str]]]:
    """tests/onesite (one small outlet) served on loopback: (base URL, paths requested so far)."""
    with serve(SITE) as served:
        yield served


@pytest.fixture
def children() -> Iterator[Children]:
    """Starts long-lived child processes for the test; kills them all (and whatever they started)
    when the test ends, passed or failed."""
    started = Children()
    try:
        yield started
    finally:
        started.end_all()


# --- PostgreSQL and Redis: real servers, named by CKMON_TEST_POSTGRES_URL / CKMON_TEST_REDIS_URL
# (.ci/run starts both on loopback). Skipped on a machine without them, a failure in CI.


def _service_url(variable: str, what: str) -> str:
    url = os.environ.get(variable)
    if not url:
        reason = f"${variable} is not set: no {what} server to test against"
        if os.environ.get("CI"):
            pytest.fail(reason + " (.ci/run starts one)")
        pytest.skip(reason)
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test, dropped afterwards."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url(_service_url("CKMON_TEST_POSTGRES_URL", "PostgreSQL"))
    name = f"ckmon_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        from digest.store.engine import dispose_engines

        dispose_engines()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def redis_url() -> str:
    """The test Redis server, emptied first (tests run one at a time)."""
    import redis

    url = _service_url("CKMON_TEST_REDIS_URL", "Redis")
    with redis.Redis.from_url(url) as client:
        client.flushdb()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same store tests on both back ends: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return request.getfixturevalue("postgres_url")
