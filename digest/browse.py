"""The commands that read and correct the store: `ckmon articles` (list, search, export), `ckmon
mark` (an analyst's correction) and `ckmon datasette-metadata` (browse it in Datasette)."""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from digest.config import Config, load_config
from digest.days import day_option
from digest.errors import did_you_mean

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from digest.store.models import ArticleRow


def _config(ctx: click.Context) -> Config:
    return load_config(ctx.find_root().obj["config_path"])


def _topic_names(config: Config) -> list[str]:
    from digest.analysis.topics import load_taxonomy

    return sorted(load_taxonomy(config.topics.file).topics)


def _check_topics(config: Config, topics: tuple[str, ...], option: str) -> None:
    known = _topic_names(config)
    for topic in topics:
        if topic not in known:
            raise click.BadParameter(
                f"no topic {topic!r}{did_you_mean(topic, known)}; the topics: {', '.join(known)}",
                param_hint=option,
            )


@click.command()
@click.option(
    "--since", metavar="YYYY-MM-DD", help="Published from this day on (stored, if undated)."
)
@click.option("--topic", metavar="TOPIC", help="With this topic (a name from topics.toml).")
@click.option("--lang", metavar="LANG", help="In this language: en, ko or km.")
@click.option("--outlet", metavar="OUTLET", help="From this outlet (a name from `ckmon sources`).")
@click.option(
    "--relevant/--all",
    "relevant",
    default=None,
    help="Only the articles the digest takes (the default; with --marked: all) or all of them.",
)
@click.option(
    "--search",
    metavar="TEXT",
    help="Every word in the title, lead or text, also inside longer words (캄보디아 finds "
    "캄보디아에서).",
)
@click.option(
    "--marked",
    is_flag=True,
    help="Only articles marked by hand (`ckmon mark`): labels to measure the rules against.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "jsonl"]),
    default="table",
    show_default=True,
    help="A table to read, or every field as CSV or JSON Lines.",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many (the newest).")
@click.pass_context
def articles(
    ctx: click.Context,
    since: str | None,
    topic: str | None,
    lang: str | None,
    outlet: str | None,
    relevant: bool | None,
    search: str | None,
    marked: bool,
    fmt: str,
    limit: int | None,
) -> None:
    """List the stored articles, newest first, with their ids (for `ckmon explain ID`); or export
    the same rows as CSV or JSON Lines.

    Relevance and topics are the digest's: an analyst's mark where there is one. The export has the
    mark and the automatic verdict side by side (marked, auto_relevant, ...).
    """
    from digest.listing import Filters, select_articles, table_lines, write_csv, write_jsonl
    from digest.store.engine import make_sessionmaker

    config = _config(ctx)
    if topic:
        _check_topics(config, (topic,), "--topic")
    with make_sessionmaker(config.store.url)() as session:
        if outlet:
            _check_outlet(session, config, outlet)
        filters = Filters(
            since=day_option(since, "--since", config),
            topic=topic or "",
            lang=lang or "",
            outlet=outlet or "",
            relevant_only=relevant if relevant is not None else not marked,
            search=search or "",
            marked_only=marked,
            limit=limit,
        )
        records = select_articles(session, filters)
    if fmt == "jsonl":
        write_jsonl(records, sys.stdout)
    elif fmt == "csv":
        write_csv(records, sys.stdout)
    else:
        width = shutil.get_terminal_size((120, 24)).columns
        for line in table_lines(records, config.digest.timezone, width):
            click.echo(line)
        which = "relevant " if filters.relevant_only else ""
        note = "; * marked by hand" if any(r["marked"] is not None for r in records) else ""
        click.echo(f"{len(records)} {which}articles{note}")


def _check_outlet(session: Session, config: Config, name: str) -> None:
    """`name` must be an outlet of the registry or of the store (one since removed)."""
    from sqlalchemy import select

    from digest.fetch.sources import load_sources
    from digest.store.models import Outlet

    known = set(load_sources(config.crawl.sources_file))
    known |= set(session.scalars(select(Outlet.name)))
    if name not in known:
        raise click.BadParameter(
            f"no outlet {name!r}{did_you_mean(name, known)}; the outlets: `ckmon sources`",
            param_hint="--outlet",
        )


@click.command()
@click.argument("ref")
@click.option(
    "--relevant/--not-relevant",
    "relevant",
    default=None,
    help="The article belongs in the digest, or does not.",
)
@click.option(
    "--topic",
    "topics",
    multiple=True,
    metavar="TOPIC",
    help="Its topics (repeat the option; names from topics.toml); without it, the automatic ones.",
)
@click.option("--clear", is_flag=True, help="Drop the mark: the automatic verdict stands again.")
@click.pass_context
def mark(
    ctx: click.Context, ref: str, relevant: bool | None, topics: tuple[str, ...], clear: bool
) -> None:
    """Correct the verdict on the stored article REF (an id or a URL) by hand.

    The mark is kept beside the automatic verdict, never over it: tagging again leaves it, the next
    edition follows it, `ckmon explain` shows it, and `ckmon articles --marked --format jsonl`
    exports the marks as labels.
    """
    from digest.explain import find_article
    from digest.store.engine import make_sessionmaker
    from digest.store.marks import clear_mark, set_mark

    if clear and (relevant is not None or topics):
        raise click.UsageError("--clear takes no --relevant, --not-relevant or --topic")
    if not clear and relevant is None:
        raise click.UsageError("give --relevant or --not-relevant (or --clear)")
    if topics and not relevant:
        raise click.UsageError("--topic goes with --relevant: an article left out has no topics")
    config = _config(ctx)
    _check_topics(config, topics, "--topic")
    with make_sessionmaker(config.store.url)() as session:
        row = find_article(session, ref)
        automatic = f"automatic: {'relevant' if row.relevant else 'not relevant'}, score {row.relevance_score}"
        if clear:
            dropped = clear_mark(session, row)
            session.commit()
            click.echo(f"#{row.id}: {'mark dropped' if dropped else 'was not marked'}; {automatic}")
            return
        if relevant and not topics and not row.topics:
            _tag_automatically(row, config)  # judged irrelevant, it was never tagged
        # Left out, an article has no topics; kept without --topic, the automatic ones stand.
        marked_topics = list(topics) or None if relevant else []
        set_mark(session, row, bool(relevant), marked_topics, datetime.now(UTC))
        session.commit()
        shown = ", ".join(topics or row.topics or []) or "-"
        verdict = f"relevant, topics: {shown}" if relevant else "not relevant"
        click.echo(f"#{row.id} marked {verdict} ({automatic})")
        others = _story_size(session, row) - 1
        if others:
            click.echo(
                f"#{row.id}: its story has {others} other article(s), each with its own verdict "
                f"(`ckmon explain {row.id}` lists them)"
            )


def _story_size(session: Session, row: ArticleRow) -> int:
    from sqlalchemy import func, select

    from digest.store.models import ArticleRow

    cluster = row.cluster_id or row.id
    return session.scalar(select(func.count()).where(ArticleRow.cluster_id == cluster)) or 1


def _tag_automatically(row: ArticleRow, config: Config) -> None:
    """The automatic topics of an article the rules judged irrelevant (ingest tags only relevant
    ones), so that marked relevant it still has its section in the digest."""
    from digest.analysis.topics import load_taxonomy, tag

    taxonomy = load_taxonomy(config.topics.file)
    row.topics = tag(row.title, row.text, taxonomy, lead=row.lead)


@click.command("datasette-metadata")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write it to this file (default: print it).",
)
@click.pass_context
def datasette_metadata(ctx: click.Context, output: Path | None) -> None:
    """Write the metadata for browsing the store in Datasette: descriptions of its tables and
    columns, and canned queries (this week's stories, by topic, by outlet, the marks).

        ckmon datasette-metadata -o data/datasette.json
        datasette data/ckmon.sqlite --metadata data/datasette.json
    """
    import json

    from digest.store.datasette import database_name, metadata

    document = metadata(database_name(_config(ctx).store.url))
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"datasette-metadata: written to {output}")


def register(group: click.Group) -> None:
    """Add these commands to the `ckmon` group."""
    for command in (articles, mark, datasette_metadata):
        group.add_command(command)
