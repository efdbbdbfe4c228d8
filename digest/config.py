"""Settings: embedded defaults, an optional `ckmon.toml`, secrets only from the environment."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.errors import ConfigError

CONFIG_ENV = "CKMON_CONFIG"
DEFAULT_CONFIG_NAME = "ckmon.toml"
DEFAULT_CRAWL_CRON = "0 */6 * * *"  # every six hours, on the hour
DEFAULT_LOG_FILE = "data/ckmon.log"  # Scrapy's own log and ckmon's, whatever stderr shows


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "localhost"
    port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    username: str = ""
    password: str = field(default="", repr=False)  # from CKMON_SMTP_PASSWORD only
    timeout: float = 30.0
    cafile: str = ""  # extra CA bundle to trust (a private relay's certificate); default: system
    retries: int = 3  # further attempts within one run on 4xx replies and connection errors
    backoff: float = 2.0  # seconds before the first retry, doubling after each


@dataclass(frozen=True)
class Config:
    """Everything a run needs, built once at start-up and passed down."""

    base_dir: Path
    database_url: str
    outbox: Path
    archive: Path
    timezone: ZoneInfo
    backfill_days: int = 14
    contact_url: str = ""
    allow_private_addresses: bool = False
    sources_file: Path | None = None
    send_weekday: int = 0  # Monday, as in datetime.weekday()
    send_time: str = "07:00"
    transport: str = "outbox"  # outbox | smtp
    mail_from: str = "ckmon <ckmon@localhost>"
    mail_to: tuple[str, ...] = ()
    reply_to: str = ""
    list_unsubscribe: str = ""
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    scrapy: dict[str, Any] = field(default_factory=dict)  # [scrapy] overrides, e.g. DOWNLOAD_DELAY
    source_path: Path | None = None  # the ckmon.toml that was read, if any
    health_stale_runs: int = 3  # [health] stale_runs: flag an outlet with no new article this long
    health_failure_ratio: float = 0.3  # [health] extract_failure_ratio: flag above this ratio
    preview: Path | None = None  # where `ckmon digest --preview` writes (default: base_dir/preview)
    archive_url: str = ""  # public URL of the archive folder, for "full edition" links and the feed
    max_html_bytes: int = 98_000  # Gmail clips an HTML part above ~102 KB
    subject_tag: str = ""  # before the mail's subject: "[sample]" for `ckmon demo`'s edition
    # [schedule] and [log]: the unattended modes (`ckmon run`, `ckmon schedule`)
    schedule_crawl: str = DEFAULT_CRAWL_CRON  # crontab expression, in `timezone`
    crawl_timeout: int = 7200  # seconds a scheduled crawl may run before it is stopped
    lock_file: Path = Path("data/ckmon.lock")
    log_file: Path | None = None  # also log to this file, rotated
    log_max_bytes: int = 1_000_000
    log_backups: int = 5
    relevance_rules: Path | None = None  # [relevance] rules: your own copy of relevance.toml
    topics_file: Path | None = None  # [topics] file: your own copy of topics.toml
    redis_url: str = ""  # [redis] url or $CKMON_REDIS_URL: crawl workers share a scrapy-redis queue
    redis_persist: bool = True  # keep the queue and duplicate filter between runs


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _get(table: dict[str, Any], key: str, kind: type, default: Any, where: str) -> Any:
    value = table.get(key, default)
    if kind is float and isinstance(value, int):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{where}: '{key}' must be {kind.__name__}, got {value!r}")
    return value


def load_config(path: str | os.PathLike[str] | None = None, *, cwd: Path | None = None) -> Config:
    """Read `path`, else $CKMON_CONFIG, else ./ckmon.toml if present, else the defaults."""
    cwd = cwd or Path.cwd()
    chosen = path or os.environ.get(CONFIG_ENV)
    data: dict[str, Any] = {}
    source_path: Path | None = None
    if chosen:
        source_path = Path(chosen)
        if not source_path.is_file():
            raise ConfigError(f"config file not found: {source_path}")
    elif (cwd / DEFAULT_CONFIG_NAME).is_file():
        source_path = cwd / DEFAULT_CONFIG_NAME
    if source_path is not None:
        try:
            data = tomllib.loads(source_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{source_path}: not valid TOML: {exc}") from exc
    base = source_path.parent.resolve() if source_path else cwd.resolve()
    return _build(data, base, source_path)


def _table(data: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [{name}] must be a table")
    return table


def _build(data: dict[str, Any], base: Path, source_path: Path | None) -> Config:
    where = str(source_path or "defaults")
    store = _table(data, "store", where)
    crawl = _table(data, "crawl", where)
    digest = _table(data, "digest", where)
    mail = _table(data, "mail", where)
    smtp = _table(data, "smtp", where)
    health = _table(data, "health", where)
    schedule = _table(data, "schedule", where)
    logs = _table(data, "log", where)

    tz_name = _get(digest, "timezone", str, "Asia/Phnom_Penh", f"{where} [digest]")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{where} [digest]: unknown timezone {tz_name!r}") from exc

    weekday = _get(digest, "send_day", str, "mon", f"{where} [digest]").lower()[:3]
    if weekday not in _WEEKDAYS:
        raise ConfigError(f"{where} [digest]: 'send_day' must be one of {', '.join(_WEEKDAYS)}")
    send_time = _get(digest, "send_time", str, "07:00", f"{where} [digest]")
    try:
        hour, minute = (int(p) for p in send_time.split(":"))
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError
    except ValueError as exc:
        raise ConfigError(
            f"{where} [digest]: 'send_time' must be HH:MM, got {send_time!r}"
        ) from exc

    db_default = f"sqlite:///{base / 'data' / 'ckmon.sqlite'}"
    store_url = _get(store, "url", str, db_default, f"{where} [store]")
    _refuse_password(store_url, f"{where} [store]", "CKMON_DATABASE_URL")
    database_url = os.environ.get("CKMON_DATABASE_URL") or store_url

    transport = _get(mail, "transport", str, "outbox", f"{where} [mail]")
    if transport not in ("outbox", "smtp"):
        raise ConfigError(f"{where} [mail]: 'transport' must be 'outbox' or 'smtp'")
    to = _get(mail, "to", list, [], f"{where} [mail]")
    if not all(isinstance(a, str) and "@" in a for a in to):
        raise ConfigError(f"{where} [mail]: 'to' must be a list of e-mail addresses")
    security = _get(smtp, "security", str, "starttls", f"{where} [smtp]")
    if security not in ("starttls", "ssl", "none"):
        raise ConfigError(f"{where} [smtp]: 'security' must be starttls, ssl or none")
    if "password" in smtp:
        raise ConfigError(f"{where} [smtp]: put the password in $CKMON_SMTP_PASSWORD, not the file")
    sources_file = _get(crawl, "sources_file", str, "", f"{where} [crawl]")
    if transport == "smtp" and not to:
        raise ConfigError(f"{where} [mail]: transport 'smtp' needs at least one address in 'to'")
    smtp_retries = _get(smtp, "retries", int, 3, f"{where} [smtp]")
    smtp_backoff = _get(smtp, "backoff", float, 2.0, f"{where} [smtp]")
    if smtp_retries < 0 or smtp_backoff < 0:
        raise ConfigError(f"{where} [smtp]: 'retries' and 'backoff' must not be negative")
    cafile = _get(smtp, "cafile", str, "", f"{where} [smtp]")
    max_html = _get(digest, "max_html_bytes", int, 98_000, f"{where} [digest]")
    if max_html < 10_000:
        raise ConfigError(f"{where} [digest]: 'max_html_bytes' must be at least 10000")
    crawl_cron = _get(schedule, "crawl", str, DEFAULT_CRAWL_CRON, f"{where} [schedule]")
    _check_crontab(crawl_cron, tz, f"{where} [schedule]")
    crawl_timeout = _get(schedule, "crawl_timeout", int, 7200, f"{where} [schedule]")
    if crawl_timeout <= 0:
        raise ConfigError(
            f"{where} [schedule]: 'crawl_timeout' must be a positive number of seconds"
        )
    log_file = _get(logs, "file", str, DEFAULT_LOG_FILE, f"{where} [log]")
    log_max_bytes = _get(logs, "max_bytes", int, 1_000_000, f"{where} [log]")
    log_backups = _get(logs, "backups", int, 5, f"{where} [log]")
    if log_max_bytes <= 0 or log_backups < 0:
        raise ConfigError(f"{where} [log]: 'max_bytes' must be > 0 and 'backups' >= 0")
    redis = _table(data, "redis", where)
    rule_files = {}
    for section, key in (("relevance", "rules"), ("topics", "file")):
        name = _get(_table(data, section, where), key, str, "", f"{where} [{section}]")
        rule_files[section] = base / name if name else None
        if name and not rule_files[section].is_file():
            raise ConfigError(f"{where} [{section}]: '{key}' file not found: {rule_files[section]}")
    file_redis_url = _get(redis, "url", str, "", f"{where} [redis]")
    _refuse_password(file_redis_url, f"{where} [redis]", "CKMON_REDIS_URL")
    redis_url = os.environ.get("CKMON_REDIS_URL") or file_redis_url
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"{where} [redis]: 'url' must be redis://, rediss:// or unix://")

    def path(table: dict[str, Any], key: str, default: str, section: str) -> Path:
        return base / _get(table, key, str, default, f"{where} [{section}]")

    return Config(
        base_dir=base,
        database_url=database_url,
        outbox=path(digest, "outbox", "outbox", "digest"),
        archive=path(digest, "archive", "archive", "digest"),
        timezone=tz,
        backfill_days=_get(crawl, "backfill_days", int, 14, f"{where} [crawl]"),
        contact_url=_get(crawl, "contact_url", str, "", f"{where} [crawl]"),
        allow_private_addresses=_get(
            crawl, "allow_private_addresses", bool, False, f"{where} [crawl]"
        ),
        sources_file=base / sources_file if sources_file else None,
        send_weekday=_WEEKDAYS.index(weekday),
        send_time=send_time,
        transport=transport,
        mail_from=_get(mail, "from", str, "ckmon <ckmon@localhost>", f"{where} [mail]"),
        mail_to=tuple(to),
        reply_to=_get(mail, "reply_to", str, "", f"{where} [mail]"),
        list_unsubscribe=_get(mail, "list_unsubscribe", str, "", f"{where} [mail]"),
        smtp=SmtpConfig(
            host=_get(smtp, "host", str, "localhost", f"{where} [smtp]"),
            port=_get(smtp, "port", int, 587, f"{where} [smtp]"),
            security=security,
            username=_get(smtp, "username", str, "", f"{where} [smtp]"),
            password=os.environ.get("CKMON_SMTP_PASSWORD", ""),
            timeout=_get(smtp, "timeout", float, 30.0, f"{where} [smtp]"),
            cafile=str(base / cafile) if cafile else "",
            retries=smtp_retries,
            backoff=smtp_backoff,
        ),
        scrapy=_table(data, "scrapy", where),
        source_path=source_path,
        health_stale_runs=_get(health, "stale_runs", int, 3, f"{where} [health]"),
        health_failure_ratio=_get(health, "extract_failure_ratio", float, 0.3, f"{where} [health]"),
        preview=path(digest, "preview", "preview", "digest"),
        archive_url=_get(digest, "archive_url", str, "", f"{where} [digest]"),
        max_html_bytes=max_html,
        schedule_crawl=crawl_cron,
        crawl_timeout=crawl_timeout,
        lock_file=path(schedule, "lock_file", "data/ckmon.lock", "schedule"),
        log_file=base / log_file if log_file else None,
        log_max_bytes=log_max_bytes,
        log_backups=log_backups,
        relevance_rules=rule_files["relevance"],
        topics_file=rule_files["topics"],
        redis_url=redis_url,
        redis_persist=_get(redis, "persist", bool, True, f"{where} [redis]"),
    )


def _refuse_password(url: str, where: str, variable: str) -> None:
    """A password written into a URL in the file is refused: secrets come from the environment."""
    try:
        parts = urlsplit(url)
        password = parts.password or parse_qs(parts.query).get("password")
    except ValueError:  # not a URL this check can read; the driver reports it when connecting
        return
    if password:
        raise ConfigError(
            f"{where}: 'url' holds a password; put the whole URL in ${variable} instead "
            "(secrets are read only from the environment)"
        )


def _check_crontab(expr: str, tz: ZoneInfo, where: str) -> None:
    """A crontab line APScheduler cannot read fails at load time, naming the key."""
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(expr, timezone=tz)
    except ValueError as exc:
        raise ConfigError(
            f"{where}: 'crawl' must be a crontab expression like \"0 */6 * * *\", "
            f"got {expr!r} ({exc})"
        ) from exc
