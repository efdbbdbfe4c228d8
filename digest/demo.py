"""`ckmon demo`: the whole path, offline, on sample pages written for the demo."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from importlib import resources
from pathlib import Path

from digest.config import Config
from digest.deliver.publish import Publishing, write_edition
from digest.fetch.crawl import run_crawl
from digest.fetch.localsite import render_dates, serve
from digest.store.engine import make_sessionmaker

SAMPLE_OUTLETS = {
    "sample_ppdaily": ("Sample Phnom Penh Daily", "en", "kh", "pp-daily.xml"),
    "sample_seoulwire": ("Sample Seoul Wire", "en", "kr", "seoul-wire.xml"),
    "sample_hanin": ("샘플 한인뉴스 (sample)", "ko", "kh", "hanin.xml"),
    "sample_khmer": ("សារព័ត៌មានគំរូ (sample)", "km", "kh", "khmer.xml"),
}

SAMPLE_NOTICE = (
    "A sample edition from ckmon demo: its outlets and stories are written for the demo, not real "
    "news. The demo's web server stopped when the demo ended; the links open the copies of its "
    "sample pages in {folder}."
)

# Loopback is refused for real crawls; the demo's own server is the one exception.
LOOPBACK_SETTINGS = {
    "CKMON_ALLOW_PRIVATE_ADDRESSES": True,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "LOG_LEVEL": "WARNING",
}


def sources_toml(base: str) -> str:
    """A registry for the sample outlets served at `base`."""
    entries = []
    for name, (title, lang, country, feed) in SAMPLE_OUTLETS.items():
        entries.append(
            f'[{name}]\ntitle = "{title}"\nlang = "{lang}"\ncountry = "{country}"\n'
            f'home = "{base}/"\nkind = "feed"\nfeeds = ["{base}/{feed}"]\n'
            'origin = "sample feed bundled with ckmon for the demo"\n'
        )
    return "\n".join(entries)


def keep_sample_pages(site: Path, folder: Path, now: datetime) -> Path:
    """Copies of the sample pages in `folder`, for the edition's links to open once the demo's
    server is gone (their `{BASE}` is the folder, their dates as the server renders them)."""
    folder.mkdir(parents=True, exist_ok=True)
    for page in site.glob("*.html"):
        text = render_dates(page.read_bytes(), now).decode("utf-8")
        (folder / page.name).write_text(text.replace("{BASE}", folder.as_uri()), encoding="utf-8")
    return folder


def run_demo(config: Config, clock: Callable[[], datetime]) -> Iterator[str]:
    """Serve the sample site, crawl it into data/demo.sqlite, write the digest; yields what to print.

    Everything the demo writes stays apart from real runs (its own store, and its outbox, archive
    and copies of the sample pages under demo/), and its mail is never sent: a sample edition must
    not replace or reach readers as the week's real one, which has the same name."""
    db = config.base_dir / "data" / "demo.sqlite"
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        stale.unlink(missing_ok=True)
    demo_config = replace(
        config,
        store=config.store.model_copy(update={"url": f"sqlite:///{db}"}),
        mail=config.mail.model_copy(update={"to": (), "transport": "outbox"}),
        digest=config.digest.model_copy(
            update={
                "outbox": config.base_dir / "demo" / "outbox",
                "archive": config.base_dir / "demo" / "archive",
                "archive_url": "",
            }
        ),
    )
    # fictional stories: never to be taken for the week's real edition
    publishing = replace(Publishing.from_config(demo_config), subject_tag="[sample]")
    site = Path(str(resources.files("digest").joinpath("demo_site")))
    now = clock()  # the sample pages' dates: as old before it as on the demo's server
    samples = keep_sample_pages(site, (config.base_dir / "demo" / "samples").resolve(), now)
    with serve(site, now=now) as (base, _), tempfile.TemporaryDirectory() as tmp:
        registry = Path(tmp) / "sources.toml"
        registry.write_text(sources_toml(base), encoding="utf-8")
        yield f"demo: serving sample pages at {base} (sample content, not real news)"
        report = run_crawl(
            demo_config, since="2000-01-01", sources_file=registry, settings=LOOPBACK_SETTINGS
        )
    for result in report.results:
        yield (
            f"demo: {result.outlet}: {result.status}, {result.articles_new} articles stored, "
            f"{result.articles_relevant} relevant"
        )
    served, kept = f"{base}/", f"{samples.as_uri()}/"
    with make_sessionmaker(demo_config.store.url)() as session:
        _, published = write_edition(
            session,
            publishing,
            clock(),
            notice=SAMPLE_NOTICE.format(folder=samples),
            relink=lambda url: kept + url.removeprefix(served) if url.startswith(served) else url,
        )
    for path in published.paths:
        yield f"demo: digest with {published.stories} stories written to {path}"
    yield f"demo: open {published.page} in a browser to read it"
