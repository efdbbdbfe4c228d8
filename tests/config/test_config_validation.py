"""ckmon.toml checked when loaded: unknown tables and keys, wrong types and values out of range are
one line (exit code 2) naming the file, the table, the key and what is accepted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from digest.config import Config, SmtpConfig, Tables, load_config
from digest.deliver.publish import Publishing
from digest.errors import ConfigError
from tests.support.cli import ckmon

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CKMON_CONFIG", "CKMON_DATABASE_URL", "CKMON_REDIS_URL", "CKMON_SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def _error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "ckmon.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(str(path)) and "\n" not in message, message
    return message


# A careless operator's ckmon.toml, and what the one line must say.
BAD = [
    # unknown tables and keys, with the one meant
    ('[mail]\ntranport = "smtp"\n', "[mail]: unknown key 'tranport'; did you mean 'transport'?"),
    ('[smpt]\nhost = "mail.example.org"\n', "unknown table [smpt]; did you mean [smtp]?"),
    ("[Digest]\n", "unknown table [Digest]; did you mean [digest]?"),
    ("[smtp]\nusername = 'a'\nhots = 'b'\n", "[smtp]: unknown key 'hots'; did you mean 'host'?"),
    ("[crawl]\nzzz = 1\n", "[crawl]: unknown key 'zzz' (known: 'backfill_days', "),
    (
        'timezone = "Asia/Seoul"\n',
        "'timezone' is outside any table; did you mean [digest] timezone?",
    ),
    ("[mail]\nsender = 'a@b.org'\n", "unknown key 'sender'"),  # the file says `from`
    # a table given as a value, a value given as a table
    ("smtp = 587\n", "[smtp] must be a table, got 587"),
    ("[smtp.port]\nvalue = 1\n", "[smtp]: 'port' must be a whole number from 1 to 65535, got {"),
    # ranges
    ("[smtp]\nport = 70000\n", "[smtp]: 'port' must be a whole number from 1 to 65535, got 70000"),
    ("[smtp]\nport = 0\n", "'port' must be a whole number from 1 to 65535, got 0"),
    ("[smtp]\ntimeout = -1\n", "[smtp]: 'timeout' must be seconds, more than 0 and at most 3600"),
    ("[smtp]\ntimeout = 0\n", "'timeout' must be seconds, more than 0"),
    ("[smtp]\ntimeout = inf\n", "'timeout' must be seconds, more than 0 and at most 3600, got inf"),
    ("[smtp]\ntimeout = nan\n", "'timeout' must be seconds, more than 0 and at most 3600, got nan"),
    ("[smtp]\nretries = -1\n", "'retries' must be a whole number from 0 to 100, got -1"),
    ("[crawl]\nbackfill_days = -5\n", "'backfill_days' must be a whole number of days from 0 to"),
    ("[crawl]\nbackfill_days = 1000000000\n", "from 0 to 100000, got 1000000000"),
    ("[schedule]\ncrawl_timeout = 0\n", "'crawl_timeout' must be seconds, a whole number from 1"),
    ("[log]\nmax_bytes = 9223372036854775807\n", "'max_bytes' must be bytes, a whole number"),
    ("[health]\nextract_failure_ratio = 1.5\n", "'extract_failure_ratio' must be a number from 0"),
    ("[health]\nstale_runs = 0\n", "'stale_runs' must be a whole number from 1 to 10000"),
    ("[digest]\nmax_html_bytes = 5\n", "'max_html_bytes' must be a whole number from 10000"),
    # types: booleans where numbers go, strings where numbers go, numbers where strings go
    ("[smtp]\nport = true\n", "'port' must be a whole number from 1 to 65535, got True"),
    ('[smtp]\nport = "587"\n', "'port' must be a whole number from 1 to 65535, got '587'"),
    ("[smtp]\nport = 587.0\n", "got 587.0"),
    ('[crawl]\nallow_private_addresses = "yes"\n', "'allow_private_addresses' must be true or"),
    ("[crawl]\nallow_private_addresses = 1\n", "must be true or false, got 1"),
    ("[smtp]\nhost = 25\n", "'host' must be a host name or address, got 25"),
    ('[smtp]\nhost = "mail example.org"\n', "'host' must be a host name or address"),
    ("[mail]\nto = 'desk@example.org'\n", "'to' must be a list of distinct e-mail addresses"),
    ('[mail]\nto = ["desk@example.org", 7]\n', "'to' (item 2) must be a list of distinct e-mail"),
    ('[mail]\nto = ["desk@example.org", "Desk@example.org"]\n', "lists 'desk@example.org' twice"),
    ('[mail]\nto = ["desk"]\n', "'to' (item 1) must be a list of distinct e-mail addresses"),
    ('[mail]\nfrom = ""\n', "[mail]: 'from' must be an e-mail address"),
    ('[mail]\nfrom = "ckmon <a@b.org>\\nBcc: x@y.org"\n', "'from' must be an e-mail address"),
    ('[mail]\ntransport = "SMTP"\n', "'transport' must be \"outbox\" (write .eml files) or"),
    ('[mail]\ntransport = "smtp"\n', "transport 'smtp' needs at least one address in 'to'"),
    ('[mail]\nlist_unsubscribe = "http://x.org/u"\n', "'list_unsubscribe' must be"),
    ('[smtp]\nsecurity = "tls"\n', '\'security\' must be "starttls", "ssl" or "none", got \'tls\''),
    # empty strings
    ('[digest]\noutbox = ""\n', "[digest]: 'outbox' must be a folder path"),
    ('[digest]\ntimezone = ""\n', "unknown timezone ''"),
    ('[schedule]\nlock_file = ""\n', "'lock_file' must be a file path (not an existing folder)"),
    ('[smtp]\nhost = ""\n', "'host' must be a host name or address, got ''"),
    # days, times, zones and schedules that do not exist
    ('[digest]\ntimezone = "Mars/Olympus"\n', "[digest]: unknown timezone 'Mars/Olympus'"),
    ('[digest]\ntimezone = "America"\n', "unknown timezone 'America'; 'timezone' must be an IANA"),
    ('[digest]\nsend_time = "25:00"\n', "'send_time' must be a time of day \"HH:MM\", from"),
    ('[digest]\nsend_time = "7:60"\n', "'send_time' must be a time of day"),
    ("[digest]\nsend_time = 07:00:30\n", "'send_time' must be a time of day"),
    ('[digest]\nsend_day = "monkey"\n', "'send_day' must be mon, tue, wed, thu, fri, sat or sun"),
    ('[schedule]\ncrawl = "every hour"\n', "'crawl' must be a crontab expression like"),
    ('[schedule]\ncrawl = "0 0 31 2 *"\n', "'crawl' '0 0 31 2 *' never fires"),
    # URLs, files and folders
    ('[store]\nurl = "mysql://db.internal/ckmon"\n', "SQLite or PostgreSQL, not 'mysql'"),
    ('[store]\nurl = "not a url"\n', "[store]: 'url' is not a database URL"),
    (
        '[redis]\nurl = "localhost:6379"\n',
        "[redis]: 'url' must be a redis://, rediss:// or unix://",
    ),
    ('[crawl]\ncontact_url = "me@example.org"\n', "'contact_url' must be \"\" or an http(s) URL"),
    ('[crawl]\ncontact_url = "http://[::1"\n', "'contact_url' must be \"\" or an http(s) URL"),
    ('[digest]\narchive_url = "https://x.org:99999/"\n', "'archive_url' must be \"\" or the http"),
    ('[crawl]\nsources_file = "missing.toml"\n', "[crawl]: 'sources_file' file not found"),
    ('[smtp]\ncafile = "missing.pem"\n', "[smtp]: 'cafile' file not found"),
    ('[log]\nfile = "."\n', "is a folder, not a file; 'file' must be"),
    ('[schedule]\nlock_file = "."\n', "is a folder, not a file; 'lock_file' must be a file path"),
    ('[digest]\narchive = "ckmon.toml"\n', "ckmon.toml is a file, not a folder; 'archive' must be"),
    ('[digest]\npreview = "' + "x" * 300 + '"\n', "File name too long"),
    # [scrapy], against Scrapy's own setting types
    ('[scrapy]\nDOWNLOAD_DELAY = "fast"\n', "[scrapy]: 'DOWNLOAD_DELAY' must be a number"),
    ('[scrapy]\nAUTOTHROTTLE_ENABLED = "no"\n', "'AUTOTHROTTLE_ENABLED' must be true or false"),
    ("[scrapy]\nLOG_LEVEL = 20\n", "'LOG_LEVEL' must be a string"),
    ("[scrapy]\nITEM_PIPELINES = 3\n", "'ITEM_PIPELINES' must be a table"),
    ("[scrapy]\nRETRY_HTTP_CODES = 500\n", "'RETRY_HTTP_CODES' must be a list"),
    ('[scrapy]\nCKMON_FEED_MAX_ENTRIES = "all"\n', "'CKMON_FEED_MAX_ENTRIES' must be a number"),
    ("[scrapy]\nDOWNLOAD_DELAY = -1\n", "'DOWNLOAD_DELAY' must be 0 or more, got -1"),
    ("[scrapy]\nCONCURRENT_REQUESTS = 0\n", "'CONCURRENT_REQUESTS' must be more than 0, got 0"),
    ("[scrapy]\nDOWNLOAD_TIMEOUT = nan\n", "'DOWNLOAD_TIMEOUT' must be a finite number"),
    (
        "[scrapy]\nDOWNLOAD_DELAI = 2\n",
        "unknown setting 'DOWNLOAD_DELAI'; did you mean 'DOWNLOAD_DELAY'?",
    ),
    ("[scrapy]\ndownload_delay = 2\n", "is not a Scrapy setting name (upper case); did you mean"),
    ('[scrapy]\nUSER_AGENT = "me"\n', "'USER_AGENT' is set by ckmon from [crawl] contact_url"),
    # secrets
    ('[smtp]\npassword = "hunter2"\n', "[smtp]: put the password in $CKMON_SMTP_PASSWORD"),
]


@pytest.mark.parametrize(("text", "expected"), BAD, ids=[t for t, _ in BAD])
def test_a_bad_file_is_one_line_naming_file_table_key_and_range(
    tmp_path: Path, text: str, expected: str
) -> None:
    message = _error(tmp_path, text)
    assert expected in message, message
    assert "hunter2" not in message


def test_several_problems_are_counted_on_the_one_line(tmp_path: Path) -> None:
    message = _error(tmp_path, "[smtp]\nport = 0\ntimeout = 0\n[crawl]\nbackfill_days = -1\n")
    assert message.endswith("(and 2 more problems)"), message


def test_a_file_that_cannot_be_read_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "ckmon.toml"
    path.write_bytes(b"[digest]\ntimezone = '\xff'\n")
    with pytest.raises(ConfigError, match=r"ckmon.toml: not valid TOML"):
        load_config(path)


GOOD = """
[store]
url = "sqlite:///data/mine.sqlite"

[crawl]
backfill_days = 0
contact_url = "https://example.org/ckmon-contact"
allow_private_addresses = false

[digest]
timezone = "Asia/Seoul"
send_day = "Friday"
send_time = "7:05"
archive_url = "https://example.org/archive/"
max_html_bytes = 98000

[mail]
transport = "smtp"
from = "ckmon <ckmon@example.org>"
to = ["desk@example.org", "editor@example.org"]
reply_to = "desk@example.org"
list_unsubscribe = "mailto:unsubscribe@example.org"

[smtp]
host = "smtp.example.org"
port = 465
security = "ssl"
username = "ckmon"
timeout = 10
retries = 0
backoff = 0.5

[health]
stale_runs = 5
extract_failure_ratio = 0

[schedule]
crawl = "30 */4 * * 1-5"
crawl_timeout = 3600
lock_file = "run/ckmon.lock"

[log]
file = "log/ckmon.log"
max_bytes = 1024
backups = 0

[redis]
url = "redis://queue.internal:6379/0"
persist = false

[scrapy]
DOWNLOAD_DELAY = 2.5
CONCURRENT_REQUESTS = 8
RETRY_PRIORITY_ADJUST = -1
RETRY_HTTP_CODES = "500,503"
CKMON_ALLOWED_HOSTS = ["127.0.0.1:8080"]
SCHEDULER_PERSIST = true
"""


def test_a_careful_file_loads_into_one_part_per_table(tmp_path: Path) -> None:
    path = tmp_path / "ckmon.toml"
    path.write_text(GOOD, encoding="utf-8")
    config = load_config(path)
    assert config.store.url == "sqlite:///data/mine.sqlite"
    assert config.crawl.backfill_days == 0
    assert (config.digest.send_day, config.digest.send_time) == (4, "07:05")
    assert config.digest.timezone.key == "Asia/Seoul"
    assert config.digest.outbox == tmp_path.resolve() / "outbox"
    assert config.mail.sender == "ckmon <ckmon@example.org>"
    assert config.mail.to == ("desk@example.org", "editor@example.org")
    assert config.smtp == SmtpConfig.model_validate(
        {
            "host": "smtp.example.org",
            "port": 465,
            "security": "ssl",
            "username": "ckmon",
            "timeout": 10.0,
            "retries": 0,
            "backoff": 0.5,
        }
    )
    assert config.schedule.lock_file == tmp_path.resolve() / "run" / "ckmon.lock"
    assert config.log.file == tmp_path.resolve() / "log" / "ckmon.log"
    assert config.redis.url == "redis://queue.internal:6379/0" and not config.redis.persist
    assert config.scrapy["DOWNLOAD_DELAY"] == 2.5
    # publishing gets its own tables and nothing else of the file
    publishing = Publishing.from_config(config)
    assert (publishing.digest, publishing.mail, publishing.smtp) == (
        config.digest,
        config.mail,
        config.smtp,
    )
    assert publishing.health.stale_runs == 5 and publishing.health.failure_ratio == 0


def test_the_manuals_example_and_an_empty_file_load(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "ckmon.toml"
    path.write_text(example, encoding="utf-8")
    assert isinstance(load_config(path), Config)
    path.write_text("", encoding="utf-8")
    assert load_config(path).digest.send_time == "07:00"


def test_the_manual_lists_every_key_with_its_accepted_range() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {
        m[1]: m[2] for m in re.finditer(r"^\| `(\[\w+\] \w+)` \| .*? \| ([^|]+?) \|$", readme, re.M)
    }
    for table in Tables.model_fields:
        if table == "scrapy":
            continue
        for key, info in Tables.table(table).file_keys().items():
            if key == "password":
                continue  # never in the file
            name = f"[{table}] {key}"
            assert name in rows, f"README's Configuration does not list {name}"
            assert rows[name] == info.description, name


def test_secrets_and_urls_from_the_environment_win(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CKMON_REDIS_URL", "localhost:6379")
    with pytest.raises(ConfigError, match=r"^\$CKMON_REDIS_URL must be a redis://"):
        load_config(cwd=tmp_path)
    monkeypatch.setenv("CKMON_REDIS_URL", "redis://:pw@queue/0")
    monkeypatch.setenv("CKMON_SMTP_PASSWORD", "s3cret")
    config = load_config(cwd=tmp_path)
    assert config.redis.url == "redis://:pw@queue/0" and config.smtp.password == "s3cret"
    assert "s3cret" not in repr(config)


# Through the real command: exit code 2, one line on stderr, nothing done.
CLI = [
    (
        '[mail]\ntranport = "smtp"\nto = ["desk@example.org"]\n',
        ["digest", "--send"],
        "[mail]: unknown key 'tranport'; did you mean 'transport'?",
    ),
    ('[smpt]\nhost = "mail.example.org"\n', ["digest", "--send"], "did you mean [smtp]?"),
    ('[scrapy]\nDOWNLOAD_DELAY = "fast"\n', ["crawl"], "'DOWNLOAD_DELAY' must be a number"),
    ("[smtp]\ntimeout = -1\n", ["digest", "--send"], "'timeout' must be seconds, more than 0"),
    ("[smtp]\nport = 70000\n", ["digest", "--send"], "'port' must be a whole number from 1 to"),
    ('[schedule]\nlock_file = "locks"\n', ["run"], "locks is a folder, not a file"),
    ("[crawl]\nbackfill_days = -5\n", ["crawl"], "'backfill_days' must be a whole number"),
    ('[digest]\nsend_time = "25:00"\n', ["schedule", "--dry-run"], "'send_time' must be a time"),
    ('[digest]\ntimezone = "Mars/Olympus"\n', ["sources"], "unknown timezone 'Mars/Olympus'"),
    ("[mail]\ntransport = true\n", ["check"], "'transport' must be \"outbox\""),
]


@pytest.mark.parametrize(("text", "args", "expected"), CLI, ids=[" ".join(c[1]) for c in CLI])
def test_the_command_refuses_a_bad_file_with_exit_code_2_and_one_line(
    tmp_path: Path, text: str, args: list[str], expected: str
) -> None:
    (tmp_path / "locks").mkdir()
    config = tmp_path / "ckmon.toml"
    config.write_text(text, encoding="utf-8")
    ran = ckmon(config, *args, timeout=60)
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert ran.stdout == "", ran.stdout  # no "sent to", no "0 outlets"
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ckmon: error: {config}"), ran.stderr
    assert expected in lines[0], lines[0]
    assert not (tmp_path / "data").exists() and not (tmp_path / "outbox").exists()


def test_check_validates_the_config_file_and_says_so(tmp_path: Path) -> None:
    config = tmp_path / "ckmon.toml"
    config.write_text('[digest]\ntimezone = "Asia/Seoul"\n', encoding="utf-8")
    ran = ckmon(config, "check", timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[0] == f"config: {config}, every table, key and value valid"
    assert ran.stdout.splitlines()[1].startswith("registry: ")


def test_check_refuses_an_outlet_with_a_bad_css_selector(tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text(
        '[gazette]\ntitle = "G"\nlang = "en"\nhome = "https://g.test/"\nkind = "feed"\n'
        'feeds = ["https://g.test/feed"]\nselectors = { title = "h1..headline" }\n',
        encoding="utf-8",
    )
    config = tmp_path / "ckmon.toml"
    config.write_text('[crawl]\nsources_file = "sources.toml"\n', encoding="utf-8")
    ran = ckmon(config, "check", timeout=60)
    assert ran.returncode == 2, ran.stdout + ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert lines == [
        f"ckmon: error: {tmp_path / 'sources.toml'} [gazette] selectors.title: 'h1..headline' "
        "is not a CSS selector (Malformed class selector at position 2)"
    ], ran.stderr
