"""The resolver refuses non-public answers itself, so DNS rebinding past the middleware fails."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from spiders.resolver import GuardedResolver, allowed_names
from tests.support.childenv import ROOT, child_env


def test_allowed_names_take_the_host_part() -> None:
    assert allowed_names(["127.0.0.1:8080", "[::1]:9", "LocalHost"]) == {
        "127.0.0.1",
        "::1",
        "localhost",
    }


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "192.168.0.1"])
def test_non_public_answers_are_refused(address: str) -> None:
    from twisted.internet.error import DNSLookupError

    with pytest.raises(DNSLookupError, match="non-public"):
        GuardedResolver._public_only(address, "rebind.example")
    assert GuardedResolver._public_only("93.184.216.34", "example.org") == "93.184.216.34"


def test_crawl_refused_at_resolution_even_without_the_middleware(
    tmp_path: Path, site: tuple[str, list[str]]
) -> None:
    base, requested = site
    port = base.rsplit(":", 1)[1]
    # `localhost` stands for a name whose DNS answer changed after the middleware's check: with
    # the middleware switched off, only the resolver stands between the crawl and loopback.
    (tmp_path / "sources.toml").write_text(
        f'[rebind]\ntitle = "Rebind"\nlang = "en"\nhome = "http://localhost:{port}/"\n'
        f'kind = "feed"\nfeeds = ["http://localhost:{port}/feed.xml"]\n',
        encoding="utf-8",
    )
    config = tmp_path / "ckmon.toml"
    config.write_text(  # no politeness delays: both crawls ask a loopback server
        '[crawl]\nsources_file = "sources.toml"\n\n'
        "[scrapy]\nDOWNLOAD_DELAY = 0\nAUTOTHROTTLE_ENABLED = false\n",
        encoding="utf-8",
    )
    env = child_env(CKMON_CONFIG=str(config))
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "rebind",
        "-s",
        "RETRY_TIMES=0",
        "-s",
        'DOWNLOADER_MIDDLEWARES={"spiders.middlewares.AddressGuardMiddleware": null}',
    ]
    ran = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    assert (
        "AddressGuardMiddleware" not in ran.stderr.split("Enabled downloader middlewares")[1][:3000]
    )
    assert "refused localhost: resolves to non-public address 127.0.0.1" in ran.stderr
    assert requested == []  # nothing reached the server
    db = sqlite3.connect(tmp_path / "data" / "ckmon.sqlite")
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 0

    control = subprocess.run(  # Scrapy's own resolver: the same crawl reaches the server
        [*command, "-s", "TWISTED_DNS_RESOLVER=scrapy.resolver.CachingThreadedResolver"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert control.returncode == 0, control.stderr
    assert "feed.xml" in requested
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 3
