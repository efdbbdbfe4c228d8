"""Property: whatever a ckmon.toml holds, loading it gives a Config or one ConfigError line naming
the file, never another exception."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.config import Config, Tables, load_config
from digest.config.scrapy_settings import known_settings
from digest.errors import ConfigError

TABLES = [name for name in Tables.model_fields if name != "scrapy"]
KEYS = sorted({key for name in TABLES for key in Tables.table(name).file_keys()})
# Values a careless operator writes: near misses of the accepted ones and the classic traps.
WORDS = [
    "",
    " ",
    ".",
    "..",
    "/",
    "x" * 300,
    "America",
    "Asia/Seoul",
    "Mars/Olympus",
    "07:00",
    "25:00",
    "7:5",
    "mon",
    "Friday",
    "smtp",
    "outbox",
    "ssl",
    "desk@example.org",
    "ckmon <a@b.c>",
    "a@",
    "@b",
    "sqlite:///x.sqlite",
    "postgresql://u:pw@h/db",
    "mysql://h/db",
    "redis://h/0",
    "https://example.org/x",
    "mailto:x@y.z",
    "0 */6 * * *",
    "0 0 31 2 *",
    "* * *",
    "ckmon.toml",
    "fast",
    "a\nb",
    "\x00",
    "http://[::1",
]
scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, 1, -1, 65535, 65536, 10**9, 2**63 - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from(WORDS),
    st.text(max_size=20),
    st.times(),
    st.dates(),
    st.datetimes(),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)
    ),
    max_leaves=6,
)
SCRAPY_NAMES = [
    "DOWNLOAD_DELAY",
    "CONCURRENT_REQUESTS",
    "LOG_LEVEL",
    "RETRY_HTTP_CODES",
    "ITEM_PIPELINES",
    "AUTOTHROTTLE_ENABLED",
    "CKMON_ALLOWED_HOSTS",
    "RETRY_PRIORITY_ADJUST",
    "MY_EXTENSION_SETTING",
    "USER_AGENT",
    "DOWNLOAD_DELAI",
    "download_delay",
]


def table_of(name: str) -> st.SearchStrategy[Any]:
    """Mostly the table's own keys, now and then a typo; now and then not a table at all."""
    own = list(Tables.table(name).file_keys()) if name in TABLES else KEYS
    own = SCRAPY_NAMES if name == "scrapy" else own
    keys = st.sampled_from(own * 4 + ["tranport", "portt", "Url"]) | st.text(max_size=8)
    return st.dictionaries(keys, values, max_size=3) | values


files = st.fixed_dictionaries(
    {}, optional={name: table_of(name) for name in [*TABLES, "scrapy", "smpt", "mial"]}
)


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CKMON_CONFIG", "CKMON_DATABASE_URL", "CKMON_REDIS_URL", "CKMON_SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def test_the_scrapy_setting_types_are_known() -> None:
    kinds = known_settings()
    assert kinds["DOWNLOAD_DELAY"] == "number" and kinds["ROBOTSTXT_OBEY"] == "bool"
    assert kinds["CKMON_FEED_MAX_ENTRIES"] == "number"  # ckmon's own, from spiders/settings.py


@settings(
    max_examples=int(os.environ.get("CKMON_HYPOTHESIS_EXAMPLES", "300")),
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(files)
def test_any_file_loads_or_fails_in_one_line_naming_it(data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ckmon.toml"
        path.write_text(tomli_w.dumps(data), encoding="utf-8")
        try:
            config = load_config(path)
        except ConfigError as exc:
            message = str(exc)
            assert message.startswith(str(path)), message
            assert "\n" not in message and "\r" not in message, message
            assert len(message) < 1000, message
        else:
            assert isinstance(config, Config)
            assert 1 <= config.smtp.port <= 65535 and config.smtp.timeout > 0
            assert 0 <= config.crawl.backfill_days <= 100_000
