from __future__ import annotations

import pytest
from click.testing import CliRunner

from digest.cli import cli


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
