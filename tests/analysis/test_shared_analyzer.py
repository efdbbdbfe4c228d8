"""Every outlet's crawler in one process shares one analyzer (one duplicate index) per store."""

from __future__ import annotations

from pathlib import Path

from spiders.pipelines import shared_analyzer


def test_one_analyzer_per_store_and_rule_files(tmp_path: Path) -> None:
    first = shared_analyzer(f"sqlite:///{tmp_path / 'a.sqlite'}")
    assert shared_analyzer(f"sqlite:///{tmp_path / 'a.sqlite'}") is first
    assert shared_analyzer(f"sqlite:///{tmp_path / 'b.sqlite'}") is not first
    rules = Path(__file__).resolve().parents[2] / "digest" / "data" / "relevance.toml"
    assert shared_analyzer(f"sqlite:///{tmp_path / 'a.sqlite'}", str(rules)) is not first
