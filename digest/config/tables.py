"""One model per table of ckmon.toml: its keys, their types and their accepted ranges.

Each part goes only to the code that reads it (the SMTP sender gets `SmtpConfig`, logging
`LogConfig`). A key a table does not have is an error, and so is a value of the wrong type or out
of range. A field's `description` is its accepted range: the error message says it and the README
lists it. Paths are taken from the config file's folder (the `base` in the validation context).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

DEFAULT_CRAWL_CRON = "0 */6 * * *"  # every six hours, on the hour
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Table(BaseModel):
    """A table of ckmon.toml: unknown keys refused, no type coerced (a "5" is not a 5)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, validate_default=True, allow_inf_nan=False
    )

    @classmethod
    def file_keys(cls) -> dict[str, FieldInfo]:
        """The keys the table takes, as written in the file (`from`, not `sender`)."""
        return {info.alias or name: info for name, info in cls.model_fields.items()}


def _base(info: ValidationInfo) -> Path:
    return Path((info.context or {}).get("base", "."))


def _reject() -> PydanticCustomError:
    """Out of the accepted range: the message gives the field's description and the value."""
    return PydanticCustomError("out_of_range", "not accepted")


def _string(value: Any) -> str:
    """A string without control characters (a line break would end a mail header)."""
    if not isinstance(value, str) or _CONTROL.search(value):
        raise _reject()
    return value


def _probe(path: Path, test: Callable[[Path], bool]) -> bool:
    """`test(path)`, or ValueError when the path cannot even be looked at (a name too long)."""
    try:
        return test(path)
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from exc


def _folder(value: Any, info: ValidationInfo) -> Path:
    """A folder ckmon writes into: a non-empty path that is not an existing file."""
    text = _string(value).strip()
    if not text:
        raise _reject()
    path = _base(info) / text
    if _probe(path, Path.exists) and not _probe(path, Path.is_dir):
        raise ValueError(f"{path} is a file, not a folder")
    return path


def _file_to_write(value: Any, info: ValidationInfo) -> Path | None:
    """A file ckmon creates or appends to ("" for none): not an existing folder."""
    text = _string(value).strip()
    if not text:
        return None
    path = _base(info) / text
    if _probe(path, Path.is_dir):
        raise ValueError(f"{path} is a folder, not a file")
    return path


def _file_to_read(value: Any, info: ValidationInfo) -> Path | None:
    """A file that must exist ("" for none)."""
    text = _string(value).strip()
    if not text:
        return None
    path = _base(info) / text
    if not _probe(path, Path.is_file):
        raise ValueError(f"'{info.field_name}' file not found: {path}")
    return path


Folder = Annotated[Path, PlainValidator(_folder)]
FileToWrite = Annotated[Path | None, PlainValidator(_file_to_write)]
FileToRead = Annotated[Path | None, PlainValidator(_file_to_read)]
Text = Annotated[str, PlainValidator(_string)]


def _http_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (reading it checks it: "http://x:99999" has no port)
    except ValueError as exc:  # "http://[::1"
        raise _reject() from exc
    if value and (parts.scheme not in ("http", "https") or not parts.hostname):
        raise _reject()
    return value


def _address(value: Any) -> str:
    """An e-mail address, bare or as 'Name <addr>': something@a.domain (or @localhost)."""
    _, addr = parseaddr(_string(value))
    local, _, domain = addr.rpartition("@")
    dotted = "." in domain.strip(".") or domain == "localhost"
    if not local or not dotted or any(c.isspace() for c in addr):
        raise _reject()
    return value


Address = Annotated[str, PlainValidator(_address)]


def _refuse_password(url: str, variable: str) -> None:
    """A password written into a URL in the file is refused: secrets come from the environment."""
    try:
        parts = urlsplit(url)
        password = parts.password or parse_qs(parts.query).get("password")
    except ValueError:  # not a URL this check can read; the driver reports it when connecting
        return
    if password:
        raise ValueError(
            f"'url' holds a password; put the whole URL in ${variable} instead "
            "(secrets are read only from the environment)"
        )


class StoreConfig(Table):
    """[store]: where articles, runs and editions are kept."""

    url: Text = Field(
        "",
        description='a SQLAlchemy URL of SQLite or PostgreSQL, without a password; "" for '
        "data/ckmon.sqlite beside the file ($CKMON_DATABASE_URL wins)",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str, info: ValidationInfo) -> str:
        if not value:
            return f"sqlite:///{_base(info) / 'data' / 'ckmon.sqlite'}"
        _refuse_password(value, "CKMON_DATABASE_URL")
        check_database_url(value)
        return value


def check_database_url(url: str) -> None:
    """SQLite or PostgreSQL, as SQLAlchemy reads the URL; raises ValueError otherwise."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        backend = make_url(url).get_backend_name()
    except (ArgumentError, ValueError) as exc:
        raise ValueError(f"'url' is not a database URL: {exc}") from exc
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(f"'url': ckmon runs on SQLite or PostgreSQL, not {backend!r}")


class CrawlConfig(Table):
    """[crawl]: what the spiders read (through the Scrapy add-on) besides [scrapy]."""

    backfill_days: int = Field(
        14, ge=0, le=100_000, description="a whole number of days from 0 to 100000"
    )
    contact_url: Text = Field("", description='"" or an http(s) URL (it goes into the User-Agent)')
    sources_file: FileToRead = Field(
        "", description='"" for the shipped registry, or the path of your own sources.toml'
    )
    allow_private_addresses: bool = Field(False, description="true or false")

    @field_validator("contact_url")
    @classmethod
    def _contact(cls, value: str) -> str:
        return _http_url(value)


class DigestConfig(Table):
    """[digest]: when editions are cut and where they are written."""

    timezone: ZoneInfo = Field(
        "Asia/Phnom_Penh", description='an IANA time zone name such as "Asia/Phnom_Penh"'
    )
    send_day: int = Field(
        "mon", description="mon, tue, wed, thu, fri, sat or sun (or the full name)"
    )
    send_time: str = Field("07:00", description='a time of day "HH:MM", from "00:00" to "23:59"')
    outbox: Folder = Field("outbox", description="a folder path (not an existing file)")
    archive: Folder = Field("archive", description="a folder path (not an existing file)")
    preview: Folder = Field("preview", description="a folder path (not an existing file)")
    archive_url: Text = Field("", description='"" or the http(s) URL the archive is published at')
    max_html_bytes: int = Field(
        98_000, ge=10_000, le=10_000_000, description="a whole number from 10000 to 10000000"
    )

    @field_validator("timezone", mode="plain")
    @classmethod
    def _timezone(cls, value: Any) -> ZoneInfo:
        name = _string(value)
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: "America"
            raise ValueError(f"unknown timezone {name!r}") from exc

    @field_validator("send_day", mode="plain")
    @classmethod
    def _send_day(cls, value: Any) -> int:
        day = _string(value).strip().lower()
        if day in WEEKDAYS:
            return WEEKDAYS.index(day)
        if day in _FULL_DAYS:
            return _FULL_DAYS.index(day)
        raise _reject()

    @field_validator("send_time", mode="plain")
    @classmethod
    def _send_time(cls, value: Any) -> str:
        if isinstance(value, time):  # send_time = 07:00 without quotes: a TOML local time
            if value.second or value.microsecond:
                raise _reject()
            return f"{value.hour:02d}:{value.minute:02d}"
        match = _HHMM.match(_string(value).strip())
        if not match:
            raise _reject()
        return f"{int(match[1]):02d}:{match[2]}"

    @field_validator("archive_url")
    @classmethod
    def _archive_url(cls, value: str) -> str:
        return _http_url(value)


class MailConfig(Table):
    """[mail]: who the edition goes to and how."""

    transport: Literal["outbox", "smtp"] = Field(
        "outbox", description='"outbox" (write .eml files) or "smtp" (send them)'
    )
    sender: Address = Field(
        "ckmon <ckmon@localhost>",
        alias="from",
        description='an e-mail address, or "Name <address>"',
    )
    to: tuple[Address, ...] = Field(
        (), strict=False, description="a list of distinct e-mail addresses"
    )
    reply_to: Text = Field("", description='"" or an e-mail address')
    list_unsubscribe: Text = Field("", description='"" or a mailto: or https: URL')

    @field_validator("reply_to")
    @classmethod
    def _reply_to(cls, value: str) -> str:
        return _address(value) if value else value

    @field_validator("to", mode="after")
    @classmethod
    def _to(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        seen = [a.strip().lower() for a in value]
        if len(set(seen)) != len(seen):
            twice = next(a for a in value if seen.count(a.strip().lower()) > 1)
            raise ValueError(f"'to' lists {twice!r} twice")
        return value

    @field_validator("list_unsubscribe")
    @classmethod
    def _unsubscribe(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("mailto", "https"):
            raise _reject()
        return value

    @model_validator(mode="after")
    def _smtp_needs_recipients(self) -> MailConfig:
        if self.transport == "smtp" and not self.to:
            raise ValueError("transport 'smtp' needs at least one address in 'to'")
        return self


class SmtpConfig(Table):
    """[smtp]: the mail server; the password only from $CKMON_SMTP_PASSWORD."""

    host: Text = Field("localhost", min_length=1, description="a host name or address")
    port: int = Field(587, ge=1, le=65535, description="a whole number from 1 to 65535")
    security: Literal["starttls", "ssl", "none"] = Field(
        "starttls", description='"starttls", "ssl" or "none"'
    )
    username: Text = Field("", description='a string ("" to send without logging in)')
    password: str = Field("", repr=False, exclude=True, description="only $CKMON_SMTP_PASSWORD")
    timeout: float = Field(30.0, gt=0, le=3600, description="seconds, more than 0 and at most 3600")
    cafile: FileToRead = Field(
        "", description='"" for the system CAs, or the path of a CA bundle (PEM)'
    )
    retries: int = Field(3, ge=0, le=100, description="a whole number from 0 to 100")
    backoff: float = Field(2.0, ge=0, le=3600, description="seconds, from 0 to 3600")

    @model_validator(mode="before")
    @classmethod
    def _no_password_in_file(cls, data: Any) -> Any:
        if isinstance(data, dict) and "password" in data:
            raise ValueError("put the password in $CKMON_SMTP_PASSWORD, not the file")
        return data

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not value.strip() or any(c.isspace() for c in value) or "/" in value:
            raise _reject()
        return value


class HealthConfig(Table):
    """[health]: when `ckmon sources` and the edition flag an outlet."""

    stale_runs: int = Field(3, ge=1, le=10_000, description="a whole number from 1 to 10000")
    extract_failure_ratio: float = Field(0.3, ge=0, le=1, description="a number from 0 to 1")


class ScheduleConfig(Table):
    """[schedule]: the unattended modes, `ckmon run` and `ckmon schedule`."""

    crawl: str = Field(
        DEFAULT_CRAWL_CRON,
        description='a crontab expression that fires, such as "0 */6 * * *" (in [digest] timezone)',
    )
    crawl_timeout: int = Field(
        7200, ge=1, le=604_800, description="seconds, a whole number from 1 to 604800 (a week)"
    )
    lock_file: FileToWrite = Field(
        "data/ckmon.lock", description="a file path (not an existing folder)"
    )

    @field_validator("crawl", mode="plain")
    @classmethod
    def _crontab(cls, value: Any) -> str:
        """A crontab line APScheduler cannot read, or one that never fires, fails at load time."""
        from datetime import UTC, datetime

        from apscheduler.triggers.cron import CronTrigger

        expr = _string(value)
        try:
            trigger = CronTrigger.from_crontab(expr, timezone=UTC)
        except ValueError as exc:
            raise ValueError(
                f"'crawl' must be a crontab expression like \"0 */6 * * *\", got {expr!r} ({exc})"
            ) from exc
        if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
            raise ValueError(f"'crawl' {expr!r} never fires")
        return expr

    @field_validator("lock_file")
    @classmethod
    def _lock(cls, value: Path | None) -> Path:
        if value is None:
            raise _reject()
        return value


class LogConfig(Table):
    """[log]: the log file (Scrapy's log included; stderr shows it only with -v), rotated."""

    file: FileToWrite = Field(
        "data/ckmon.log", description='a file path (not a folder), or "" for none'
    )
    max_bytes: int = Field(
        1_000_000, ge=1024, le=10**12, description="bytes, a whole number from 1024 to 10^12"
    )
    backups: int = Field(5, ge=0, le=1000, description="a whole number from 0 to 1000")


class RelevanceConfig(Table):
    """[relevance]: your own copy of the relevance terms."""

    rules: FileToRead = Field(
        "", description='"" for the shipped terms, or the path of your relevance.toml'
    )


class TopicsConfig(Table):
    """[topics]: your own copy of the topic taxonomy."""

    file: FileToRead = Field(
        "", description='"" for the shipped topics, or the path of your topics.toml'
    )


class RedisConfig(Table):
    """[redis]: crawl workers sharing one scrapy-redis queue."""

    url: Text = Field(
        "",
        description='"" (one worker), or a redis://, rediss:// or unix:// URL without a password '
        "($CKMON_REDIS_URL wins)",
    )
    persist: bool = Field(True, description="true or false")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        _refuse_password(value, "CKMON_REDIS_URL")
        check_redis_url(value, "'url'")
        return value


def check_redis_url(url: str, name: str) -> None:
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"{name} must be a redis://, rediss:// or unix:// URL")
