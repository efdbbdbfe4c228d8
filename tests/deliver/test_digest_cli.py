"""`ckmon digest`: preview, ad-hoc windows and --send, with the clock frozen."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from digest import cli as cli_module
from digest.config import load_config
from digest.errors import ConfigError
from digest.store.engine import make_sessionmaker
from digest.store.models import Delivery, Edition
from tests.support.weekdata import NOW, make_config, store


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = make_config(tmp_path)
    store(config).close()
    monkeypatch.setattr(cli_module, "_now", lambda: NOW)
    assert config.source_path is not None
    return config.source_path


def _run(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli_module.cli, ["--config", str(config), "digest", *args])
    return result.exit_code, result.output


def _counts(config: Path) -> tuple[int, int]:
    with make_sessionmaker(load_config(config).store.url)() as session:
        return (
            session.scalar(select(func.count()).select_from(Edition)),
            session.scalar(select(func.count()).select_from(Delivery)),
        )


def test_preview_writes_files_and_records_nothing(workspace: Path) -> None:
    before = _counts(workspace)
    code, out = _run(workspace, "--preview")
    assert code == 0, out
    assert "preview of 2026-W48, 9 stories" in out
    html, text, eml = (Path(line) for line in out.strip().splitlines()[1:])
    assert html.parent == workspace.parent / "preview"
    assert "Cambodia and South Korea sign upgraded trade pact" in html.read_text(encoding="utf-8")
    assert "== Top stories ==" in text.read_text(encoding="utf-8")
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["To"] == "desk@ckmon.test" and "9 stories" in msg["Subject"]
    assert _counts(workspace) == before and not (workspace.parent / "outbox").exists()
    assert _run(workspace)[1] == out  # no option: the same preview


def test_adhoc_window(workspace: Path) -> None:
    code, out = _run(workspace, "--since", "2026-11-19", "--until", "2026-11-20")
    assert code == 0, out
    assert "preview of 2026-11-19_2026-11-20, 4 stories" in out
    page = Path(out.strip().splitlines()[1]).read_text(encoding="utf-8")
    assert "Special edition" in page and "New direct flights link Incheon" in page
    assert "from 19 Nov 2026 · to 20 Nov 2026" in page  # --until's day, not the day after
    assert "Korean university opens Khmer studies" in page  # stored 20 Nov, 19:30 local
    assert "sign upgraded trade pact" not in page and "health ministers" not in page
    assert _counts(workspace) == (1, 0)  # only last week's sent edition, as before


@pytest.mark.parametrize(
    "args",
    [("--send", "--since", "2026-11-01"), ("--send", "--preview"), ("--since", "yesterday")],
)
def test_bad_combinations_are_usage_errors(workspace: Path, args: tuple[str, ...]) -> None:
    code, _ = _run(workspace, *args)
    assert code == 2


def test_send_with_the_outbox_transport(workspace: Path) -> None:
    code, out = _run(workspace, "--send")
    eml = workspace.parent / "outbox" / "ckmon-2026-W48-desk@ckmon.test.eml"
    assert code == 0 and f"2026-W48, 9 stories, written to {eml}" in out, out
    assert 'not mailed: [mail] transport is "outbox"' in out and " sent to " not in out
    assert eml.is_file()
    code, out = _run(workspace, "--send")
    # nothing due: says what went out last and when the next edition is due
    assert code == 0 and out.startswith("digest: nothing due; last edition: 2026-W48 went out "), (
        out
    )
    assert re.search(r"; next due Mon \d\d \w{3} \d{4} 07:00 \+07\n$", out), out


def test_smtp_transport_needs_recipients(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs at least one address"):
        make_config(tmp_path, 'transport = "smtp"\n', to=())
