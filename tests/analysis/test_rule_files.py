"""A user's own relevance rules, named in ckmon.toml, are the ones the commands apply."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from click.testing import CliRunner

from digest.cli import cli

STORY = {
    "id": "r1",
    "url": "https://wire.test/ruritania-korea",
    "title": "Ruritania and South Korea sign a trade deal in Seoul",
    "text": "Ruritania and South Korea signed a trade deal in Seoul on Monday. "
    "Ruritania's minister said Korean investment would follow.",
}


def _tag(config: Path, tmp_path: Path) -> dict:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(STORY) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "tag", str(source)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def test_own_rules_file_is_applied(tmp_path: Path) -> None:
    shipped = resources.files("digest").joinpath("data/relevance.toml").read_text("utf-8")
    # Our own rule file: "Ruritania" is taken as a name of Cambodia.
    own = shipped.replace('en = ["Cambodia",', 'en = ["Ruritania", "Cambodia",', 1)
    assert own != shipped
    (tmp_path / "my-relevance.toml").write_text(own, encoding="utf-8")
    plain = tmp_path / "plain.toml"
    plain.write_text("", encoding="utf-8")
    custom = tmp_path / "ckmon.toml"
    custom.write_text('[relevance]\nrules = "my-relevance.toml"\n', encoding="utf-8")

    assert _tag(plain, tmp_path)["relevant"] is False
    assert _tag(custom, tmp_path)["relevant"] is True


def test_missing_rules_file_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "ckmon.toml"
    config.write_text('[topics]\nfile = "nope.toml"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "sources"])
    assert result.exit_code != 0
    assert "[topics]: 'file' file not found" in str(result.exception)
