"""The `ckmon` command: the one place where errors become messages and exit codes.

Exit codes: 0 success; 1 unexpected error; 2 configuration or usage error; 3 partial (some outlets
failed); 4 every outlet failed (for example, no network); 75 another run holds the lock.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from digest.config import Config, load_config
from digest.errors import CkmonError

EXIT_PARTIAL = 3
EXIT_ALL_FAILED = 4

log = logging.getLogger("ckmon")


def _now() -> datetime:
    return datetime.now(UTC)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Path to ckmon.toml (default: $CKMON_CONFIG, else ./ckmon.toml if present, else built-in).",
)
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """ckmon: a media monitor for Cambodia–Korea relations.

    Crawls English, Korean and Khmer outlets, keeps the articles about the two countries' relations,
    and writes a weekly e-mail digest.
    """
    ctx.obj = {"config_path": config_path}


def _config(ctx: click.Context) -> Config:
    return load_config(ctx.obj["config_path"])


def _print_report(report: Any) -> int:
    for result in report.results:
        if result.status == "ok":
            click.echo(
                f"{result.outlet}: ok, {result.articles_new} new, "
                f"{result.articles_relevant} relevant"
            )
        else:
            click.echo(f"{result.outlet}: FAILED: {result.error or 'see log'}", err=True)
    failed = len(report.failed)
    new = sum(r.articles_new for r in report.results)
    relevant = sum(r.articles_relevant for r in report.results)
    summary = (
        f"crawl: {len(report.results)} outlets, {failed} failed, {new} new articles, "
        f"{relevant} relevant"
    )
    if report.offline:
        summary += " — no outlet could be reached: is this machine offline?"
    click.echo(summary, err=bool(failed))
    if failed and failed == len(report.results):
        return EXIT_ALL_FAILED
    return EXIT_PARTIAL if failed else 0


@cli.command()
@click.argument("outlets", nargs=-1)
@click.option("--since", metavar="YYYY-MM-DD", help="Skip feed entries older than this day.")
@click.pass_context
def crawl(ctx: click.Context, outlets: tuple[str, ...], since: str | None) -> None:
    """Crawl OUTLETS (default: every enabled outlet) into the store."""
    from digest.crawl import run_crawl

    report = run_crawl(_config(ctx), list(outlets) or None, since=since)
    ctx.exit(_print_report(report))


@cli.command()
@click.pass_context
def digest(ctx: click.Context) -> None:
    """Build this week's edition from the store and write it to the outbox (prints the path)."""
    from digest.publish import write_edition
    from digest.store import make_sessionmaker

    config = _config(ctx)
    with make_sessionmaker(config.database_url)() as session:
        _, published = write_edition(session, config, _now())
    for path in published.paths:
        click.echo(str(path))


@cli.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Crawl every enabled outlet, then write the edition that is due (cron mode)."""
    from digest.crawl import run_crawl
    from digest.publish_once import publish_due_locked
    from digest.store import make_sessionmaker

    config = _config(ctx)
    code = _print_report(run_crawl(config))
    with make_sessionmaker(config.database_url)() as session:
        published = publish_due_locked(session, config, _now())
    if published is None:
        click.echo("digest: no edition due")
    else:
        for path in published.paths:
            click.echo(f"digest: edition {published.key}, {published.stories} stories: {path}")
    ctx.exit(code)


@cli.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Crawl the bundled sample site offline through the real pipeline and write a digest."""
    from digest.demo import run_demo

    for line in run_demo(_config(ctx), _now):
        click.echo(line)


@cli.command()
@click.pass_context
def sources(ctx: click.Context) -> None:
    """List the outlets in the registry."""
    from digest.sources import load_sources

    for source in load_sources(_config(ctx).sources_file).values():
        flag = "" if source.enabled else " (disabled)"
        kind = "bilateral" if source.bilateral else "general"
        click.echo(f"{source.name:<16} {source.lang}  {kind:<9}  {source.title}{flag}")


@cli.command()
@click.argument("html_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="The URL the page was fetched from.")
def extract(html_file: Path, url: str) -> None:
    """Print the article extracted from HTML_FILE as JSON."""
    from digest.extract import extract_article

    article = extract_article(html_file.read_bytes(), url)
    click.echo(json.dumps(article.to_dict(), ensure_ascii=False, indent=2))


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("scrapy").setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # digest.migrate says what it did
    try:
        code = cli.main(standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except CkmonError as exc:
        click.echo(f"ckmon: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except Exception:
        log.exception("ckmon: unexpected error (please report it with this trace)")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
