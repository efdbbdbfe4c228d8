"""The `ckmon` command: the one place where errors become messages and exit codes.

Exit codes: 0 success; 1 unexpected error; 2 configuration or usage error; 3 partial (some outlets
failed); 4 every outlet failed (for example, no network); 5 a digest delivery is pending or failed;
6 the store could not be opened, or refused a write during a crawl (a full disk); 75 another run holds the lock; 130 interrupted by SIGINT or SIGTERM before the work was done (the
next run completes it).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import click

from digest.config import Config, load_config
from digest.errors import CkmonError, DeliveryError, StoreError
from digest.fetch.losses import STORE_FAILED_PREFIX
from digest.logs import install_stderr_handler

EXIT_PARTIAL = 3
EXIT_ALL_FAILED = 4
EXIT_INTERRUPTED = 130

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


def _print_report(report: Any, quiet: bool = False) -> int:
    for result in report.results:
        if result.status == "ok":
            if not quiet:
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
    if failed or not quiet:
        click.echo(summary, err=bool(failed))
    if any(r.error.startswith(STORE_FAILED_PREFIX) for r in report.failed):
        return StoreError.exit_code  # articles found and not kept: no plain partial failure
    if failed and failed == len(report.results):
        return EXIT_ALL_FAILED
    return EXIT_PARTIAL if failed else 0


@cli.command()
@click.argument("outlets", nargs=-1)
@click.option("--since", metavar="YYYY-MM-DD", help="Skip feed entries older than this day.")
@click.option(
    "-a",
    "spider_args",
    multiple=True,
    metavar="NAME=VALUE",
    help="A spider argument, as with `scrapy crawl`: -a since=YYYY-MM-DD is --since.",
)
@click.option(
    "--replay",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Answer every request from this WARC archive (offline; unknown URLs get 404).",
)
@click.option(
    "--record",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append every fetched response to this WARC archive (FILE.warc.gz).",
)
@click.pass_context
def crawl(
    ctx: click.Context,
    outlets: tuple[str, ...],
    since: str | None,
    spider_args: tuple[str, ...],
    replay: Path | None,
    record: Path | None,
) -> None:
    """Crawl OUTLETS (default: every enabled outlet) into the store."""
    from digest.fetch.crawl import run_crawl

    for arg in spider_args:
        name, _, value = arg.partition("=")
        if name.strip() != "since" or not value.strip():
            raise click.BadParameter(
                f"{arg!r}: the only spider argument is since=YYYY-MM-DD", param_hint="-a"
            )
        if since and since != value.strip():
            raise click.UsageError("--since and -a since= disagree: give one of them")
        since = value.strip()
    if since:
        try:
            datetime.strptime(since, "%Y-%m-%d")
        except ValueError as exc:
            raise click.BadParameter(f"{since!r} is not YYYY-MM-DD", param_hint="--since") from exc
    report = run_crawl(
        _config(ctx), list(outlets) or None, since=since, replay=replay, record=record
    )
    ctx.exit(_print_report(report))


def _day(value: str | None, option: str, config: Config, *, end: bool = False) -> datetime | None:
    """A YYYY-MM-DD option as the start (or the end) of that day in the configured time zone."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from exc
    if end:
        day += timedelta(days=1)
    return datetime.combine(day, clock_time(0), config.timezone)


def _print_published(published: Any, *, quiet: bool = False) -> int:
    """One line per recipient; exit code 5 when a delivery is pending or failed."""
    if not quiet:
        for path in published.paths:
            click.echo(f"digest: edition {published.key}, {published.stories} stories: {path}")
        for recipient in published.sent:
            click.echo(f"digest: {published.key} sent to {recipient}")
    for recipient, why in published.pending:
        click.echo(
            f"digest: {published.key} to {recipient}: PENDING, retried next run: {why}", err=True
        )
    for recipient, why in published.failed:
        click.echo(f"digest: {published.key} to {recipient}: FAILED permanently: {why}", err=True)
    return 0 if published.complete else DeliveryError.exit_code


@cli.command()
@click.option(
    "--preview",
    is_flag=True,
    help="Write the next edition's HTML, text and .eml to the preview folder; record and send "
    "nothing. This is what `ckmon digest` does without options.",
)
@click.option(
    "--send",
    is_flag=True,
    help="Deliver what is due: a pending edition first (only the recipients not yet reached), "
    "then a new one once a send time has passed since the last (a week missed while the machine "
    "was off goes out at once). An edition is never sent twice.",
)
@click.option(
    "--since",
    metavar="YYYY-MM-DD",
    help="Ad-hoc edition of the articles first stored from this day (configured time zone); "
    "written like --preview, never sent, changes no cutoff.",
)
@click.option(
    "--until",
    metavar="YYYY-MM-DD",
    help="Ad-hoc edition up to the end of this day (default: now).",
)
@click.pass_context
def digest(
    ctx: click.Context, preview: bool, send: bool, since: str | None, until: str | None
) -> None:
    """Preview the next edition, or with --send deliver the edition that is due."""
    from digest.deliver.publish import write_preview
    from digest.deliver.publish_locked import publish_due_locked
    from digest.store.engine import make_sessionmaker

    if send and (preview or since or until):
        raise click.UsageError("--send cannot be combined with --preview, --since or --until")
    config = _config(ctx)
    start, end = _day(since, "--since", config), _day(until, "--until", config, end=True)
    if start is not None and end is not None and start >= end:
        raise click.BadParameter("must be after --since", param_hint="--until")
    with make_sessionmaker(config.database_url)() as session:
        if send:
            published = publish_due_locked(session, config, _now())
            if published is None:
                click.echo("digest: nothing due")
                return
            ctx.exit(_print_published(published))
        shown = write_preview(session, config, _now(), since=start, until=end)
    note = " (shortened for mail; the archive page has all)" if shown.shortened else ""
    click.echo(f"digest: preview of {shown.key}, {shown.stories} stories{note}")
    for path in (shown.html, shown.text, shown.eml):
        click.echo(str(path))


@cli.command()
@click.option(
    "--quiet", "-q", is_flag=True, help="Print only errors (cron mails whatever is printed)."
)
@click.pass_context
def run(ctx: click.Context, quiet: bool) -> None:
    """Crawl every enabled outlet, then write the edition that is due (cron mode).

    Takes the lock shared with `ckmon schedule`: a second instance exits at once with code 75.
    SIGTERM or SIGINT during the crawl stops it gracefully (every stored article is whole) and
    skips the digest; the next run completes the work.
    """
    from digest.fetch.crawl import run_crawl
    from digest.logs import configure_logging
    from digest.runlock import hold_lock

    config = _config(ctx)
    configure_logging(config, quiet=quiet)
    started = time.monotonic()
    with hold_lock(config.lock_file, "ckmon run"):
        report = run_crawl(config)
        # Scrapy's handlers outlive its reactor: until the digest, a signal ends us at once.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        code = _print_report(report, quiet=quiet)
        crawl = _crawl_summary(report)
        if any(_interrupted(r) for r in report.results):
            _summary(
                f"run: interrupted during the crawl ({crawl}); digest not built, the next run "
                f"completes the work; {time.monotonic() - started:.0f} s",
                error=True,
            )
            ctx.exit(EXIT_INTERRUPTED)
        if code == StoreError.exit_code:
            _summary(
                f"run: store failed during the crawl ({crawl}); digest not built, the next run "
                f"fetches what was not stored; {time.monotonic() - started:.0f} s",
                error=True,
            )
            ctx.exit(code)
        published = _publish_uninterrupted(config)
    if published is None:
        digest_note = "no edition due"
        if not quiet:
            click.echo("digest: no edition due")
    else:
        state = "sent" if published.complete else "not fully delivered"
        digest_note = f"edition {published.key} {state}, {published.stories} stories"
        delivered = _print_published(published, quiet=quiet)
        code = code or delivered
    status = {
        0: "ok",
        EXIT_PARTIAL: "partial",
        EXIT_ALL_FAILED: "failed",
        DeliveryError.exit_code: "delivery pending",
    }[code]
    line = f"run: {status}; {crawl}; {digest_note}; {time.monotonic() - started:.0f} s"
    if code or not quiet:
        _summary(line, error=bool(code))
    ctx.exit(code)


def _crawl_summary(report: Any) -> str:
    new = sum(r.articles_new for r in report.results)
    relevant = sum(r.articles_relevant for r in report.results)
    return (
        f"{len(report.results)} outlets, {len(report.failed)} failed, {new} new articles, "
        f"{relevant} relevant"
    )


def _interrupted(result: Any) -> bool:
    """Scrapy closes spiders with reason "shutdown" on SIGTERM/SIGINT; "did not finish" if killed."""
    return result.status != "ok" and result.error in ("shutdown", "did not finish")


def _summary(line: str, *, error: bool) -> None:
    """The one line that ends every run (on stderr when something went wrong)."""
    click.echo(line, err=error)


def _publish_uninterrupted(config: Config) -> Any:
    """`publish_due` under the database lock (one publisher per store, even with several
    schedulers), with SIGTERM/SIGINT held until it returns: no half-written edition."""
    from digest.deliver.publish_locked import publish_due_locked
    from digest.store.engine import make_sessionmaker

    received: list[int] = []
    previous = {
        s: signal.signal(s, lambda signum, _frame: received.append(signum))
        for s in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        with make_sessionmaker(config.database_url)() as session:
            return publish_due_locked(session, config, _now())
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if received:
            log.warning("received %s during the digest: finished it first", received[0])


@cli.command()
@click.option(
    "--dry-run", is_flag=True, help="Print the next fire times and what would run at once."
)
@click.option("--quiet", "-q", is_flag=True, help="Log only errors to stderr.")
@click.pass_context
def schedule(ctx: click.Context, dry_run: bool, quiet: bool) -> None:
    """Run by itself: crawl and send the digest on the configured schedule until stopped.

    Catches up on start with what the store says was missed (a crawl, a digest whose send time
    passed while nothing ran). Holds the lock shared with `ckmon run`. SIGTERM or SIGINT stops it
    after the job in progress.
    """
    from digest.schedule import catch_up, describe, run_scheduler

    config = _config(ctx)
    if dry_run:
        for line in describe(config, catch_up(config, _now(), create_store=False)):
            click.echo(line)
        return
    from digest.logs import configure_logging
    from digest.runlock import hold_lock

    configure_logging(config, quiet=quiet)
    with hold_lock(config.lock_file, "ckmon schedule") as lock_fd:
        run_scheduler(config, _now, lock_fd)


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
    """List the outlets with their health: last run, last new article, last run's figures, flags."""
    from digest.deliver.health import outlet_health
    from digest.fetch.sources import load_sources
    from digest.store.engine import make_sessionmaker

    config = _config(ctx)
    registry = load_sources(config.sources_file)
    with make_sessionmaker(config.database_url)() as session:
        report = outlet_health(
            session,
            registry,
            stale_runs=config.health_stale_runs,
            failure_ratio=config.health_failure_ratio,
        )

    def when(value: datetime | None) -> str:
        return value.astimezone(config.timezone).strftime("%Y-%m-%d %H:%M") if value else "-"

    click.echo(
        f"{'outlet':<17}{'lang':<5}{'kind':<8}{'scope':<10}{'last run':<17}{'status':<7}"
        f"{'last new':<17}{'req':>5}{'304':>5}{'new':>5}{'xfail':>6}{'err':>5}{'seen':>5}{'ref':>5}"
        "  flags"
    )
    for h in report:
        scope = "bilateral" if registry[h.name].bilateral else "general"
        flags = list(h.flags) + ([] if h.enabled else ["disabled"])
        click.echo(
            f"{h.name:<17}{h.lang:<5}{h.kind:<8}{scope:<10}{when(h.last_run_at):<17}"
            f"{h.last_status or '-':<7}{when(h.last_new_article_at):<17}{h.requests:>5}"
            f"{h.not_modified:>5}{h.articles_new:>5}{h.extract_failed:>6}{h.errors:>5}"
            f"{h.skipped_seen:>5}{h.refused:>5}  "
            f"{'; '.join(flags)}"
        )
    click.echo(f"{len(registry)} outlets, {sum(1 for h in report if h.flags)} flagged")


@cli.command()
@click.argument("outlets", nargs=-1)
@click.option("--live", is_flag=True, help="Fetch every discovery URL once and report what works.")
@click.option(
    "--delay",
    type=float,
    default=1.0,
    show_default=True,
    help="Seconds between requests to a host (more where an outlet's `delay` asks it).",
)
@click.pass_context
def check(ctx: click.Context, outlets: tuple[str, ...], live: bool, delay: float) -> None:
    """Validate the outlet registry; with --live, test each outlet's feeds, sitemaps and listings.

    Exit code 3 if some discovery URLs fail, 4 if all do.
    """
    from digest.errors import ConfigError
    from digest.fetch.check import Fetcher, check_sources
    from digest.fetch.sources import load_sources
    from digest.fetch.useragent import user_agent

    config = _config(ctx)
    registry = load_sources(config.sources_file)
    unknown = sorted(set(outlets) - set(registry))
    if unknown:
        raise ConfigError(f"unknown outlet(s): {', '.join(unknown)} (see `ckmon sources`)")
    chosen = [registry[name] for name in outlets] if outlets else list(registry.values())
    urls = sum(len(s.discovery_urls) for s in chosen)
    click.echo(f"registry: {len(chosen)} outlets, {urls} discovery URLs, valid")
    if not live:
        return
    allowed = tuple(str(h) for h in config.scrapy.get("CKMON_ALLOWED_HOSTS", []))
    fetcher = Fetcher(
        user_agent(config.contact_url),
        allow_private=config.allow_private_addresses,
        allowed_hosts=allowed,
    )
    results = []
    for result in check_sources(chosen, fetcher, delay=delay):
        results.append(result)
        mark = "ok  " if result.ok else "FAIL"
        click.echo(f"{mark} {result.outlet:<17}{result.method:<8}{result.url}  {result.detail}")
    failed = sum(1 for r in results if not r.ok)
    click.echo(f"check: {len(results)} URLs, {failed} failed", err=bool(failed))
    if results and failed == len(results):
        ctx.exit(EXIT_ALL_FAILED)
    ctx.exit(EXIT_PARTIAL if failed else 0)


@cli.command()
@click.argument("html_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="The URL the page was fetched from.")
@click.option(
    "--outlet",
    default="",
    help="Registry name of the outlet: its CSS selectors are used where generic extraction fails.",
)
@click.pass_context
def extract(ctx: click.Context, html_file: Path, url: str, outlet: str) -> None:
    """Print the article extracted from HTML_FILE as JSON."""
    from digest.analysis.extract import extract_article

    selectors: dict[str, str] = {}
    if outlet:
        from digest.fetch.sources import load_sources

        registry = load_sources(_config(ctx).sources_file)
        if outlet not in registry:
            raise click.BadParameter(f"no outlet {outlet!r} in the registry", param_hint="--outlet")
        selectors = registry[outlet].selectors
    article = extract_article(html_file.read_bytes(), url, selectors)
    article.outlet = outlet
    click.echo(json.dumps(article.to_dict(), ensure_ascii=False, indent=2))


@cli.command()
@click.argument("jsonl_file", type=click.File("r", encoding="utf-8"))
@click.pass_context
def tag(ctx: click.Context, jsonl_file: Any) -> None:
    """Tag articles from JSONL_FILE ('-' for stdin) as the pipeline would.

    Each input line is {"id", "url", "title", "text", "lang"?, "published"?}; each output line is
    {"id", "relevant", "score", "topics", "cluster"}, where ids of one story share the cluster
    value (the id of its earliest article).
    """
    from digest.analysis.ingest import Analyzer
    from digest.tagging import read_records, tag_records

    config = _config(ctx)
    analyzer = Analyzer.from_files(config.relevance_rules, config.topics_file)
    records = list(read_records(jsonl_file, getattr(jsonl_file, "name", "input")))
    for result in tag_records(records, analyzer):
        click.echo(json.dumps(result, ensure_ascii=False))


@cli.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def explain(ctx: click.Context, ref: str, as_json: bool) -> None:
    """Why the stored article REF (an id or a URL) is relevant or not, its topics and its cluster."""
    from digest.analysis.relevance import load_rules
    from digest.analysis.topics import load_taxonomy
    from digest.explain import explain as explain_article
    from digest.explain import render_text
    from digest.store.engine import make_sessionmaker

    config = _config(ctx)
    with make_sessionmaker(config.database_url)() as session:
        report = explain_article(
            session, ref, load_rules(config.relevance_rules), load_taxonomy(config.topics_file)
        )
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else render_text(report))


def main() -> None:
    install_stderr_handler()
    logging.getLogger("scrapy").setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # digest.store.migrate says what it did
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
