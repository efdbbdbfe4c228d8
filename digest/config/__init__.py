"""Settings: embedded defaults, an optional `ckmon.toml`, secrets only from the environment.

`load_config` is the one entry. It reads the file once, checks every table, key and value (the
models in `tables`, the [scrapy] table in `scrapy_settings`) and returns a `Config` holding one
part per table, each handed only to the code that reads it. Any problem is a `ConfigError` of one
line naming the file, the table, the key and what is accepted.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from digest.config.scrapy_settings import check_scrapy, quoted, shown
from digest.config.tables import (
    DEFAULT_CRAWL_CRON,
    WEEKDAYS,
    CrawlConfig,
    DigestConfig,
    HealthConfig,
    LogConfig,
    MailConfig,
    RedisConfig,
    RelevanceConfig,
    ScheduleConfig,
    SmtpConfig,
    StoreConfig,
    Table,
    TopicsConfig,
    check_redis_url,
)
from digest.errors import ConfigError

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CRAWL_CRON",
    "WEEKDAYS",
    "Config",
    "CrawlConfig",
    "DigestConfig",
    "HealthConfig",
    "LogConfig",
    "MailConfig",
    "RedisConfig",
    "RelevanceConfig",
    "ScheduleConfig",
    "SmtpConfig",
    "StoreConfig",
    "Tables",
    "TopicsConfig",
    "load_config",
]

CONFIG_ENV = "CKMON_CONFIG"
DEFAULT_CONFIG_NAME = "ckmon.toml"


class Tables(BaseModel):
    """The tables a ckmon.toml may hold; any other is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, validate_default=True)

    store: StoreConfig = Field(default_factory=dict)  # type: ignore[arg-type]
    crawl: CrawlConfig = Field(default_factory=dict)  # type: ignore[arg-type]
    digest: DigestConfig = Field(default_factory=dict)  # type: ignore[arg-type]
    mail: MailConfig = Field(default_factory=dict)  # type: ignore[arg-type]
    smtp: SmtpConfig = Field(default_factory=dict)  # type: ignore[arg-type]
    health: HealthConfig = Field(default_factory=dict)  # type: ignore[arg-type]
    schedule: ScheduleConfig = Field(default_factory=dict)  # type: ignore[arg-type]
    log: LogConfig = Field(default_factory=dict)  # type: ignore[arg-type]
    relevance: RelevanceConfig = Field(default_factory=dict)  # type: ignore[arg-type]
    topics: TopicsConfig = Field(default_factory=dict)  # type: ignore[arg-type]
    redis: RedisConfig = Field(default_factory=dict)  # type: ignore[arg-type]
    scrapy: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def table(cls, name: str) -> type[Table]:
        """The model of table `name` (not [scrapy], which is Scrapy's settings)."""
        model = cls.model_fields[name].annotation
        assert isinstance(model, type) and issubclass(model, Table), name
        return model

    @field_validator("scrapy", mode="after")
    @classmethod
    def _scrapy(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_scrapy(value)


@dataclass(frozen=True)
class Config:
    """Everything a run needs, one part per table of ckmon.toml; built once at start-up."""

    base_dir: Path  # relative paths in the file are taken from here
    source_path: Path | None  # the ckmon.toml that was read, if any
    store: StoreConfig
    crawl: CrawlConfig
    digest: DigestConfig
    mail: MailConfig
    smtp: SmtpConfig
    health: HealthConfig
    schedule: ScheduleConfig
    log: LogConfig
    relevance: RelevanceConfig
    topics: TopicsConfig
    redis: RedisConfig
    scrapy: Mapping[str, Any] = field(default_factory=dict)  # Scrapy settings, e.g. DOWNLOAD_DELAY


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
        except OSError as exc:
            raise ConfigError(f"{source_path}: cannot be read: {exc.strerror or exc}") from exc
    base = source_path.parent.resolve() if source_path else cwd.resolve()
    where = str(source_path or "defaults")
    try:
        tables = Tables.model_validate(data, context={"base": base})
    except ValidationError as exc:
        raise ConfigError(one_line(exc, where)) from None
    return _with_environment(
        Config(base, source_path, **{name: getattr(tables, name) for name in Tables.model_fields})
    )


def _with_environment(config: Config) -> Config:
    """The secrets and URLs the environment gives win over the file."""
    from dataclasses import replace

    database_url = os.environ.get("CKMON_DATABASE_URL")
    redis_url = os.environ.get("CKMON_REDIS_URL")
    password = os.environ.get("CKMON_SMTP_PASSWORD")
    if redis_url:
        try:
            check_redis_url(redis_url, "$CKMON_REDIS_URL")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    return replace(
        config,
        store=config.store.model_copy(update={"url": database_url})
        if database_url
        else config.store,
        redis=config.redis.model_copy(update={"url": redis_url}) if redis_url else config.redis,
        smtp=config.smtp.model_copy(update={"password": password}) if password else config.smtp,
    )


def one_line(exc: ValidationError, where: str) -> str:
    """The first problem as one line naming file, table and key; how many more there are."""
    errors = exc.errors(include_url=False)
    line = _describe(errors[0], where)
    more = len(errors) - 1
    return line + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")


def _table_model(table: str) -> type[Table] | None:
    return Tables.table(table) if table in Tables.model_fields and table != "scrapy" else None


def _suggest(word: str, choices: list[str], form: str = "'{}'") -> str:
    close = difflib.get_close_matches(word.lower(), choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {form.format(close[0])}?"
    return f" (known: {', '.join(form.format(c) for c in choices)})"


def _bracket(table: str) -> str:
    return f"[{table}]" if table.isprintable() and len(table) <= 40 else f"[{quoted(table)}]"


def _describe(error: ErrorDetails, where: str) -> str:
    loc = [str(part) for part in error["loc"]]
    kind, value = error["type"], error["input"]
    detail = str(error.get("ctx", {}).get("error", error["msg"]))
    table = loc[0] if loc else ""
    model = _table_model(table)
    if len(loc) == 1 and kind == "extra_forbidden":
        if not isinstance(value, dict):  # a key above every table header
            homes = [
                t for t in Tables.model_fields if (m := _table_model(t)) and table in m.file_keys()
            ]
            hint = f"; did you mean [{homes[0]}] {table}?" if homes else ""
            return f"{where}: {quoted(table)} is outside any table{hint}"
        tables = list(Tables.model_fields)
        return f"{where}: unknown table {_bracket(table)}{_suggest(table, tables, '[{}]')}"
    if len(loc) == 1 and kind != "value_error":
        return f"{where}: {_bracket(table)} must be a table, got {shown(value)}"
    if len(loc) == 1 or model is None:  # a check across the table's keys, or of [scrapy]
        return f"{where} [{table}]: {detail}"
    key = loc[1]
    known = model.file_keys()
    if kind == "extra_forbidden":
        return f"{where} [{table}]: unknown key {quoted(key)}{_suggest(key, list(known))}"
    accepted = known[key].description if key in known else ""
    if kind == "value_error":
        if detail.startswith("'") or not accepted:  # it names the key and says what is wrong
            return f"{where} [{table}]: {detail}"
        return f"{where} [{table}]: {detail}; '{key}' must be {accepted}"
    item = f" (item {int(loc[2]) + 1})" if len(loc) > 2 and loc[2].isdigit() else ""
    return f"{where} [{table}]: '{key}'{item} must be {accepted}, got {shown(value)}"
