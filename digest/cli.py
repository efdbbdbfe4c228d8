"""The `ckmon` command: the one place where errors become messages and exit codes.

Exit codes: 0 success; 1 unexpected error; 2 configuration or usage error, or a folder ckmon writes
to is read-only or full; 3 partial (some outlets failed); 4 every outlet failed (for example, no
network); 5 a digest delivery is pending or failed; 6 the store could not be opened or refused a write (a full disk);
75 another run holds the lock; 130 interrupted by SIGINT or SIGTERM before the work was done (the
next run completes it).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from digest import browse
from digest.config import Config, load_config
from digest.days import day_option as _day
from digest.errors import CkmonError, DeliveryError, StoreError
from digest.fetch.failures import STORE_FAILED_PREFIX
from digest.logs import install_stderr_handler

EXIT_PARTIAL = 3
EXIT_ALL_FAILED = 4
EXIT_INTERRUPTED = 130

log = logging.getLogger("ckmon")


def _now() -> datetime:
    return datetime.now(UTC)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ckmon", prog_name="ckmon")
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


def _outlet_line(result: Any) -> str:
    from digest.fetch.failures import short_cause

    if result.status == "ok":
        return (
            f"{result.outlet}: ok, {result.articles_new} new, {result.articles_relevant} relevant"
        )
    return f"{result.outlet}: FAILED: {short_cause(result.error)}"


def _progress(quiet: bool) -> Any:
    """Print each outlet's line as it finishes: on a terminal with a counter ("[ 3/28]"), plain
    lines otherwise (cron, a pipe). Failures go to stderr, even when quiet."""

    def show(result: Any, done: int, total: int) -> None:
        failed = result.status != "ok"
        if quiet and not failed:
            return
        stream = sys.stderr if failed else sys.stdout
        counter = f"[{done:>{len(str(total))}}/{total}] " if stream.isatty() else ""
        click.echo(counter + _outlet_line(result), err=failed)

    return show


def _print_report(report: Any, quiet: bool = False, *, outlets: bool = True) -> int:
    """The crawl's summary line (after each outlet's line unless `outlets` is off: the progress
    printed them already); the exit code of the crawl."""
    for result in report.results if outlets else ():
        if result.status == "ok" and not quiet:
            click.echo(_outlet_line(result))
        elif result.status != "ok":
            click.echo(_outlet_line(result), err=True)
    failed = len(report.failed)
    new = sum(r.articles_new for r in report.results)
    relevant = sum(r.articles_relevant for r in report.results)
    summary = (
        f"crawl: {len(report.results)} outlets, {failed} failed, {new} new articles, "
        f"{relevant} relevant"
    )
    if report.offline:
        summary += " — no outlet could be reached: is this machine offline?"
    if failed:
        summary += " (the causes in full: `ckmon sources --errors`, and the log)"
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
@click.option(
    "--quiet", "-q", is_flag=True, help="Print only errors (cron mails whatever is printed)."
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Also print the log (Scrapy's included) on stderr; it always goes to the [log] file.",
)
@click.option(
    "--relayed",
    is_flag=True,
    hidden=True,
    help="The log on stderr and not in the [log] file: `ckmon schedule` relays it into its own.",
)
@click.pass_context
def crawl(
    ctx: click.Context,
    outlets: tuple[str, ...],
    since: str | None,
    spider_args: tuple[str, ...],
    replay: Path | None,
    record: Path | None,
    quiet: bool,
    verbose: bool,
    relayed: bool,
) -> None:
    """Crawl OUTLETS (default: every enabled outlet) into the store."""
    from digest.fetch.crawl import run_crawl
    from digest.logs import configure_logging

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
    config = _config(ctx)
    configure_logging(config.log, quiet=not (verbose or relayed), to_file=not relayed)
    report = run_crawl(
        config,
        list(outlets) or None,
        since=since,
        replay=replay,
        record=record,
        progress=_progress(quiet),
    )
    ctx.exit(_print_report(report, quiet, outlets=False))


def _print_published(published: Any, *, quiet: bool = False) -> int:
    """One line per recipient; exit code 5 when a delivery is pending or failed."""
    if not quiet:
        for path in published.paths:
            where = "written to" if published.written_only else "in the outbox at"
            click.echo(
                f"digest: edition {published.key}, {published.stories} stories, {where} {path}"
            )
        if published.written_only and published.sent:
            click.echo(
                'digest: not mailed: [mail] transport is "outbox" (see README, Configuration)'
            )
        for recipient in published.sent if not published.written_only else ():
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
    from digest.deliver.publish import Publishing, write_preview
    from digest.deliver.publish_locked import publish_due_locked
    from digest.store.engine import make_sessionmaker

    if send and (preview or since or until):
        raise click.UsageError("--send cannot be combined with --preview, --since or --until")
    config = _config(ctx)
    start, end = _day(since, "--since", config), _day(until, "--until", config, end=True)
    if start is not None and end is not None and start >= end:
        raise click.BadParameter("must be after --since", param_hint="--until")
    if start is not None and end is None and start >= _now():
        raise click.BadParameter("is in the future: give --until as well", param_hint="--since")
    publishing = Publishing.from_config(config)
    with make_sessionmaker(config.store.url)() as session:
        if send:
            published = publish_due_locked(session, publishing, _now())
            if published is None:
                click.echo(f"digest: nothing due; {_last_and_next(session, config)}")
                return
            ctx.exit(_print_published(published))
        shown = write_preview(session, publishing, _now(), since=start, until=end)
    note = " (shortened for mail; the archive page has all)" if shown.shortened else ""
    click.echo(f"digest: preview of {shown.key}, {shown.stories} stories{note}")
    for path in (shown.html, shown.text, shown.eml):
        click.echo(str(path))


@cli.command()
@click.option(
    "--quiet", "-q", is_flag=True, help="Print only errors (cron mails whatever is printed)."
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Also print the log (Scrapy's included) on stderr; it always goes to the [log] file.",
)
@click.pass_context
def run(ctx: click.Context, quiet: bool, verbose: bool) -> None:
    """Crawl every enabled outlet, then write the edition that is due (cron mode).

    Takes the lock shared with `ckmon schedule`: a second instance exits at once with code 75.
    SIGTERM or SIGINT during the crawl stops it gracefully (every stored article is whole) and
    skips the digest; the next run completes the work.
    """
    from digest.fetch.crawl import run_crawl
    from digest.logs import configure_logging
    from digest.runlock import hold_lock

    config = _config(ctx)
    configure_logging(config.log, quiet=not verbose)
    started = time.monotonic()
    with hold_lock(config.schedule.lock_file, "ckmon run"):
        report = run_crawl(config, progress=_progress(quiet))
        # Scrapy's handlers outlive its reactor: until the digest, a signal ends us at once.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        code = _print_report(report, quiet=quiet, outlets=False)
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
        state = (
            "not fully delivered"
            if not published.complete
            else "written to the outbox"
            if published.written_only
            else "sent"
        )
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
    from digest.deliver.publish import Publishing
    from digest.deliver.publish_locked import publish_due_locked
    from digest.store.engine import make_sessionmaker

    received: list[int] = []
    previous = {
        s: signal.signal(s, lambda signum, _frame: received.append(signum))
        for s in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        with make_sessionmaker(config.store.url)() as session:
            return publish_due_locked(session, Publishing.from_config(config), _now())
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if received:
            log.warning("received %s during the digest: finished it first", received[0])


def _last_and_next(session: Any, config: Config) -> str:
    """When the last edition went out and when the next one is due, in the configured zone."""
    from digest.deliver.edition import last_sent, next_send_time

    def local(when: datetime) -> str:
        return when.astimezone(config.digest.timezone).strftime("%a %d %b %Y %H:%M %Z")

    last = last_sent(session)
    plan = config.digest
    due = next_send_time(_now(), plan.timezone, plan.send_day, plan.send_time)
    done = f"{last.key} went out {local(last.sent_at)}" if last and last.sent_at else "none sent"
    return f"last edition: {done}; next due {local(due)}"


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

    configure_logging(config.log, quiet=quiet)
    with hold_lock(config.schedule.lock_file, "ckmon schedule") as lock_fd:
        run_scheduler(config, _now, lock_fd)


@cli.command()
@click.option(
    "--verbose", "-v", is_flag=True, help="Also print the log on stderr (always in demo/ckmon.log)."
)
@click.pass_context
def demo(ctx: click.Context, verbose: bool) -> None:
    """Crawl the bundled sample site offline through the real pipeline and write a digest."""
    from digest.demo import run_demo
    from digest.logs import configure_logging

    config = _config(ctx)
    configure_logging(
        config.log.model_copy(update={"file": config.base_dir / "demo" / "ckmon.log"}),
        quiet=not verbose,
    )
    for line in run_demo(config, _now):
        click.echo(line)


@cli.command()
@click.option(
    "--errors", is_flag=True, help="Also print the whole error text of each outlet's failed run."
)
@click.pass_context
def sources(ctx: click.Context, errors: bool) -> None:
    """List the outlets with their health: last run, last new article, last run's figures, flags.

    Times are in the configured time zone, with its offset from UTC; a failed run's flag gives its
    cause in a few words (the whole text: --errors, and the log).
    """
    from digest.deliver.health import outlet_health
    from digest.fetch.sources import load_sources
    from digest.store.engine import make_sessionmaker

    config = _config(ctx)
    registry = load_sources(config.crawl.sources_file)
    with make_sessionmaker(config.store.url)() as session:
        report = outlet_health(
            session,
            registry,
            stale_runs=config.health.stale_runs,
            failure_ratio=config.health.extract_failure_ratio,
        )

    def when(value: datetime | None) -> str:
        # "2026-12-05 14:00+07:00": the zone's offset joined to the time, so both stay one column
        return value.astimezone(config.digest.timezone).isoformat(" ", "minutes") if value else "-"

    click.echo(
        f"{'outlet':<17}{'lang':<5}{'kind':<8}{'scope':<10}{'last run':<23}{'status':<7}"
        f"{'last new':<23}{'req':>5}{'304':>5}{'new':>5}{'xfail':>6}{'err':>5}{'seen':>5}{'ref':>5}"
        "  flags"
    )
    for h in report:
        scope = "bilateral" if registry[h.name].bilateral else "general"
        flags = list(h.flags) + ([] if h.enabled else ["disabled"])
        click.echo(
            f"{h.name:<17}{h.lang:<5}{h.kind:<8}{scope:<10}{when(h.last_run_at):<23}"
            f"{h.last_status or '-':<7}{when(h.last_new_article_at):<23}{h.requests:>5}"
            f"{h.not_modified:>5}{h.articles_new:>5}{h.extract_failed:>6}{h.errors:>5}"
            f"{h.skipped_seen:>5}{h.refused:>5}  "
            f"{'; '.join(flags)}"
        )
    click.echo(f"{len(registry)} outlets, {sum(1 for h in report if h.flags)} flagged")
    for h in report if errors else ():
        if h.last_status == "failed" and h.last_error:
            click.echo(f"\n{h.name}: {' '.join(h.last_error.split())}")


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
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds one fetch may take in all (connecting, redirects, the whole answer).",
)
@click.option(
    "--max-time",
    type=click.FloatRange(min=0, min_open=True),
    default=600.0,
    show_default=True,
    help="Seconds the whole live check may take; URLs not reached by then are reported failed.",
)
@click.pass_context
def check(
    ctx: click.Context,
    outlets: tuple[str, ...],
    live: bool,
    delay: float,
    timeout: float,
    max_time: float,
) -> None:
    """Validate ckmon.toml and the outlet registry; with --live, test each outlet's feeds, sitemaps
    and listings.

    Exit code 3 if some discovery URLs fail, 4 if all do.
    """
    from digest.fetch.check import Fetcher, check_sources
    from digest.fetch.sources import check_names, load_sources
    from digest.fetch.useragent import user_agent

    config = _config(ctx)
    click.echo(
        f"config: {config.source_path}, every table, key and value valid"
        if config.source_path
        else "config: no ckmon.toml, the built-in defaults"
    )
    registry = load_sources(config.crawl.sources_file)
    check_names(outlets, registry)
    chosen = [registry[name] for name in outlets] if outlets else list(registry.values())
    urls = sum(len(s.discovery_urls) for s in chosen)
    click.echo(f"registry: {len(chosen)} outlets, {urls} discovery URLs, valid")
    if not live:
        return
    allowed = tuple(str(h) for h in config.scrapy.get("CKMON_ALLOWED_HOSTS", []))
    fetcher = Fetcher(
        user_agent(config.crawl.contact_url),
        allow_private=config.crawl.allow_private_addresses,
        allowed_hosts=allowed,
        timeout=timeout,
        total=max_time,
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
    from urllib.parse import urlsplit

    from digest.analysis.extract import extract_article

    try:
        _ = urlsplit(url).port  # reading the port is what checks it
    except ValueError as exc:  # an unclosed [IPv6] host, a port out of range
        raise click.BadParameter(
            f"{url!r} is not a readable URL ({exc})", param_hint="--url"
        ) from exc

    selectors: dict[str, str] = {}
    if outlet:
        from digest.fetch.sources import load_sources

        registry = load_sources(_config(ctx).crawl.sources_file)
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
    analyzer = Analyzer.from_files(config.relevance.rules, config.topics.file)
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
    with make_sessionmaker(config.store.url)() as session:
        report = explain_article(
            session, ref, load_rules(config.relevance.rules), load_taxonomy(config.topics.file)
        )
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else render_text(report))


browse.register(cli)


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
    except Exception as exc:
        from sqlalchemy.exc import OperationalError  # here: most commands never load SQLAlchemy

        if isinstance(exc, OperationalError):  # the store failed under way: read-only, full disk
            from digest.store.engine import store_failure

            click.echo(f"ckmon: error: {store_failure(exc)}", err=True)
            sys.exit(StoreError.exit_code)
        log.exception("ckmon: unexpected error (please report it with this trace)")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
