from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from digest.config import load_config
from digest.errors import ConfigError
from digest.fetch.sources import load_sources
from digest.store.engine import create_store_engine

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CKMON_CONFIG", raising=False)
    monkeypatch.delenv("CKMON_DATABASE_URL", raising=False)
    config = load_config(cwd=tmp_path)
    assert config.store.url == f"sqlite:///{tmp_path.resolve() / 'data' / 'ckmon.sqlite'}"
    assert config.digest.outbox == tmp_path.resolve() / "outbox"
    assert config.digest.timezone.key == "Asia/Phnom_Penh"
    assert config.mail.transport == "outbox"


def test_database_url_from_the_file_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CKMON_DATABASE_URL", raising=False)
    path = tmp_path / "ckmon.toml"
    path.write_text('[store]\nurl = "postgresql+psycopg://ckmon@db.internal/ckmon"\n')
    assert load_config(path).store.url == "postgresql+psycopg://ckmon@db.internal/ckmon"
    monkeypatch.setenv("CKMON_DATABASE_URL", "postgresql+psycopg://ckmon@other.internal/ckmon")
    assert load_config(path).store.url == "postgresql+psycopg://ckmon@other.internal/ckmon"


def test_a_database_other_than_sqlite_or_postgresql_is_refused() -> None:
    with pytest.raises(ConfigError, match="SQLite or PostgreSQL, not 'mysql'"):
        create_store_engine("mysql://ckmon@db.internal/ckmon")


def test_password_only_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ckmon.toml"
    path.write_text('[smtp]\npassword = "hunter2"\n')
    with pytest.raises(ConfigError, match="CKMON_SMTP_PASSWORD"):
        load_config(path)
    path.write_text('[smtp]\nhost = "mail.example.org"\n')
    monkeypatch.setenv("CKMON_SMTP_PASSWORD", "s3cret")
    assert load_config(path).smtp.password == "s3cret"
    assert "s3cret" not in repr(load_config(path))


@pytest.mark.parametrize(
    ("table", "url", "variable"),
    [
        ("store", "postgresql+psycopg://ckmon:hunter2@db.internal/ckmon", "CKMON_DATABASE_URL"),
        (
            "store",
            "postgresql+psycopg://ckmon@db.internal/ckmon?password=hunter2",
            "CKMON_DATABASE_URL",
        ),
        ("redis", "redis://:hunter2@queue.internal:6379/0", "CKMON_REDIS_URL"),
    ],
)
def test_url_passwords_only_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str, url: str, variable: str
) -> None:
    monkeypatch.delenv("CKMON_DATABASE_URL", raising=False)
    monkeypatch.delenv("CKMON_REDIS_URL", raising=False)
    path = tmp_path / "ckmon.toml"
    path.write_text(f'[{table}]\nurl = "{url}"\n')
    with pytest.raises(ConfigError, match=rf"ckmon.toml \[{table}\]: .*\${variable}") as err:
        load_config(path)
    assert "hunter2" not in str(err.value)
    # Without the password the file's URL is taken; the environment's URL carries the secret.
    path.write_text(f'[{table}]\nurl = "{url.replace(":hunter2", "").split("?")[0]}"\n')
    assert "hunter2" not in repr(load_config(path))
    monkeypatch.setenv(variable, url)
    chosen = load_config(path)
    assert (chosen.store.url if table == "store" else chosen.redis.url) == url


def test_bad_values_name_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "ckmon.toml"
    path.write_text('[digest]\ntimezone = "Mars/Olympus"\n')
    with pytest.raises(ConfigError, match=r"ckmon.toml \[digest\]: unknown timezone"):
        load_config(path)


def test_shipped_registry_has_the_required_outlets() -> None:
    sources = load_sources()
    assert {"khmertimes", "yonhap_en", "koreatimes"} <= set(sources)
    assert all(s.origin for s in sources.values()), "every discovery URL says where it came from"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            'title = "X"\nlang = "fr"\nhome = "https://x.test/"\nkind = "feed"\nfeeds = ["https://x.test/f"]',
            "'lang'",
        ),
        (
            'title = "X"\nlang = "en"\nhome = "https://x.test/"\nkind = "feed"\nfeeds = ["file:///etc/passwd"]',
            "not an http",
        ),
        (
            'title = "X"\nlang = "en"\nhome = "https://x.test/"\nkind = "feed"\nfeds = ["https://x.test/f"]',
            "unknown key",
        ),
        *(
            (
                f'title = "X"\nlang = "en"\nhome = "https://x.test/"\nkind = "feed"\n'
                f'feeds = ["https://x.test/f"]\ndelay = {bad}',
                "'delay' must be a number of seconds from 0 to 600",
            )
            for bad in ('"5"', "-1", "true", "3600")
        ),
        *(
            (
                f'title = "X"\nlang = "en"\nhome = "https://x.test/"\nkind = "feed"\n'
                f'feeds = ["https://x.test/f"]\nselectors = {{ {name} = "{css}" }}',
                re.escape(f"selectors.{name}: '{css}' is not a CSS selector"),
            )
            for name, css in (
                ("title", "h1..x"),
                ("body", "div["),
                ("date", "::before"),
                ("author", ""),
            )
        ),
    ],
)
def test_bad_source_entry_fails_at_load(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(f"[bad]\n{entry}\n")
    with pytest.raises(ConfigError, match=message) as err:
        load_sources(path)
    assert "sources.toml [bad]" in str(err.value)


def test_an_outlet_delay_is_read_in_seconds(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[api]\ntitle = "X"\nlang = "en"\nhome = "https://x.test/"\nkind = "gdelt"\n'
        'queries = ["Cambodia"]\ndelay = 5\n'
    )
    assert load_sources(path)["api"].delay == 5.0
    assert load_sources()["gdelt_en"].delay == 5.0  # the shipped GDELT outlets keep GDELT's limit


def test_scrapy_list_shows_every_outlet() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert set(listed.stdout.split()) == set(load_sources())
