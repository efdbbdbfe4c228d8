from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli
from tests.support.cli import ckmon


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert cli.commands[command].help, f"{command} has no help text"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-a", "depth=3"], "the only spider argument is since=YYYY-MM-DD"),
        (["-a", "since"], "the only spider argument is since=YYYY-MM-DD"),
        (["-a", "since="], "the only spider argument is since=YYYY-MM-DD"),
        (["-a", "since=last week"], "'last week' is not YYYY-MM-DD"),
        (["--since", "2026-11-01", "-a", "since=2026-11-02"], "disagree"),
    ],
)
def test_crawl_spider_arguments_are_checked_before_any_crawl(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["crawl", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_a_store_that_cannot_be_opened_is_one_line_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "ckmon.toml"
    config.write_text("", encoding="utf-8")
    # nothing listens on port 1
    monkeypatch.setenv(
        "CKMON_DATABASE_URL", "postgresql+psycopg://ckmon:s3cret-pw@127.0.0.1:1/ckmon"
    )
    ran = ckmon(config, "sources", timeout=60)
    assert ran.returncode == 6, ran.stderr
    assert ran.stderr.startswith(
        "ckmon: error: cannot open the store postgresql+psycopg://ckmon:***@127.0.0.1:1/ckmon: "
    )
    assert "s3cret-pw" not in ran.stderr + ran.stdout
    assert "Traceback" not in ran.stderr
