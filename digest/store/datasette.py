"""A Datasette metadata file for the store: table and column descriptions and canned queries, from
digest/data/datasette.toml, so the store can be browsed without ckmon's code."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from sqlalchemy.engine import make_url

from digest.errors import ConfigError


def database_name(url: str) -> str:
    """The name Datasette gives the store: its file's name without the extension."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        shown = parsed.render_as_string(hide_password=True)
        raise ConfigError(f"Datasette opens SQLite files; the store is {shown}")
    name = parsed.database.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def metadata(database: str) -> dict[str, Any]:
    """Datasette's metadata document for the store Datasette calls `database`."""
    source = resources.files("digest").joinpath("data/datasette.toml")
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    queries = {
        name: {**query, "sql": query["sql"].strip()} for name, query in data["queries"].items()
    }
    return {
        "title": data["title"],
        "description": data["description"],
        "databases": {database: {"tables": data["tables"], "queries": queries}},
    }
