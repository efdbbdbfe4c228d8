"""Headless chromium, to see the digest as a real browser draws and scripts it."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.children import run

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def headless_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run chromium headless with `args`: skipped where it is not installed, a failure in CI."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return run(  # chromium starts helper processes: a time-out ends them all
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            *args,
        ],
        timeout=90,
    )


# Measures a document laid out in an iframe `width` pixels wide: headless chromium will not make
# its window narrower than 500 px, an iframe can be any width. A srcdoc frame shares its parent's
# origin, so the parent's script can read the frame's layout.
_MEASURE = r"""
var HANGUL = /[\uAC00-\uD7A3]/;
function splitKoreanWords(doc) {
  // Korean lines break between words: a line that starts between two Hangul syllables of a word
  // short enough for a line (a run of up to 12) broke inside the word.
  var found = [], walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT), node;
  while ((node = walker.nextNode())) {
    var owner = node.parentElement.closest("[lang]");
    if (!owner || owner.lang !== "ko") continue;
    var text = node.data, range = doc.createRange(), top = null;
    for (var i = 0; i < text.length; i++) {
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      var rects = range.getClientRects();
      if (!rects.length) continue;
      if (top !== null && rects[0].top > top + 2 && HANGUL.test(text[i - 1]) && HANGUL.test(text[i])) {
        var word = (text.slice(0, i).match(/[\uAC00-\uD7A3]*$/)[0] +
                    text.slice(i).match(/^[\uAC00-\uD7A3]*/)[0]);
        if (word.length <= 12) found.push(word);
      }
      top = rects[0].top;
    }
  }
  return found;
}
function measure(frame) {
  var doc = frame.contentDocument, right = 0, widest = "";
  doc.querySelectorAll("body *").forEach(function (el) {
    var r = el.getBoundingClientRect().right;
    if (r > right - 0.5) { right = Math.max(r, right); widest = el.outerHTML.slice(0, 300); }
  });
  var out = document.createElement("pre");
  out.className = "measure";
  out.textContent = JSON.stringify({name: frame.dataset.name, viewport: frame.contentWindow.innerWidth,
    scroll: doc.documentElement.scrollWidth, right: Math.ceil(right), widest: widest,
    split_korean: splitKoreanWords(doc)});
  document.body.appendChild(out);
}
"""


@dataclass(frozen=True)
class Layout:
    """How a document was drawn in a viewport: `scroll` above `viewport` means a reader scrolls
    sideways; `widest` is the start of the innermost element reaching furthest right."""

    viewport: int
    scroll: int
    right: int
    widest: str
    split_korean: list[str]  # Korean words broken across two lines (should be none)


def layouts(
    tmp_path: Path, documents: dict[str, str], widths: tuple[int, ...]
) -> dict[str, Layout]:
    """Each of `documents` (name: HTML) drawn at each of `widths`, in one chromium run; keyed
    "name@width"."""
    frames = "".join(
        f'<iframe data-name="{name}@{width}" style="border:0;width:{width}px;height:600px" '
        f'onload="measure(this)" srcdoc="{html.escape(doc, quote=True)}"></iframe>'
        for name, doc in documents.items()
        for width in widths
    )
    host = tmp_path / "layout.html"
    host.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><script>{_MEASURE}</script></head>'
        f'<body style="margin:0">{frames}</body></html>',
        encoding="utf-8",
    )
    run = headless_chromium(tmp_path, "--window-size=1000,800", "--dump-dom", host.as_uri())
    found = {}
    for match in re.finditer(r'<pre class="measure">(.*?)</pre>', run.stdout, re.S):
        data = json.loads(html.unescape(match.group(1)))
        name = data.pop("name")
        found[name] = Layout(**data)
    expected = {f"{name}@{width}" for name in documents for width in widths}
    assert set(found) == expected, f"chromium measured {sorted(found)}: {run.stderr[-2000:]}"
    return found
