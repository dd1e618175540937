"""``paperfeed digest send|preview|subscribe|list|unsubscribe``: email digests for operators."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from paperfeed.cli.main import JsonOption, app, get_app, get_linking_app
from paperfeed.cli.output import emit_json, err, one_line, out, parse_day, write_file
from paperfeed.digest.choices import describe, make_choices
from paperfeed.digest.due import ledger_key
from paperfeed.digest.preview import Preview, preview
from paperfeed.digest.recommended import PersonalRecommendations
from paperfeed.digest.sender import PeriodReport, send_digests
from paperfeed.digest.subscriptions import import_subscribers, unsubscribe_address
from paperfeed.store import Subscription

digest_app = typer.Typer(help="Email digests: send, preview, import subscribers.", no_args_is_help=True)
app.add_typer(digest_app, name="digest")

PeriodOption = Annotated[
    str | None,
    typer.Option(
        "--period",
        help="A day, YYYY-MM-DD: its daily digest and the weekly digest of its week "
        "(default: the digests that are due, i.e. yesterday's and last week's).",
    ),
]


def _subscription_json(subscription: Subscription) -> dict[str, Any]:
    choices = subscription.choices
    return {
        "id": subscription.id,
        "email": subscription.email,
        "status": subscription.status,
        "frequency": choices.frequency,
        "trending": list(choices.trending_categories) or choices.trending,
        "categories": list(choices.categories),
        "authors": list(choices.authors),
        "queries": list(choices.queries),
        "max_papers": choices.max_papers,
        "recommended": choices.recommended,
        "failure_streak": subscription.failure_streak,
        "last_error": subscription.last_error,
        "created_at": subscription.created_at.isoformat(),
    }


def _period_line(report: PeriodReport, dry_run: bool) -> str:
    if dry_run:
        return (
            f"{report.period}: {report.subscribers:,} subscribers: {report.would_send:,} would be sent, "
            f"{report.skipped:,} empty (dry run: nothing sent, nothing recorded)"
        )
    text = (
        f"{report.period}: {report.subscribers:,} subscribers: {report.sent:,} sent, "
        f"{report.skipped:,} skipped (empty), {report.failed:,} failed, {report.deferred:,} deferred"
    )
    if report.already:
        text += f"; {report.already:,} done by earlier runs"
    if report.paused:
        text += f"; {report.paused:,} subscriptions paused after repeated failures"
    return text + f" (compose {report.compose_seconds:.1f} s, send {report.send_seconds:.1f} s)"


@digest_app.command("send")
def send_command(
    period: PeriodOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Compose and count, send nothing, record nothing.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, max=16, help="Processes sending together (default: PAPERFEED_DIGEST_WORKERS)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Send the digests of a period to every active subscriber, exactly once (safe to re-run)."""
    day = parse_day(period, "--period")
    paperfeed = get_linking_app()
    chosen = workers or paperfeed.settings.digest_workers
    report = send_digests(
        paperfeed,
        day=day,
        dry_run=dry_run,
        workers=chosen,
        recommendations=PersonalRecommendations(paperfeed),
    )
    if as_json:
        emit_json(report.to_dict())
    else:
        if not report.reports:
            out.print(f"no digest is due for {report.period} (daily digests go out Monday to Friday)")
        for item in report.reports:
            out.print(_period_line(item, dry_run), highlight=False)
        for notice in report.notices:
            err.print(f"note: {notice}", highlight=False)
    if report.stopped:
        if not as_json:
            err.print(f"[red]stopped:[/red] {report.stopped}", highlight=False)
        raise typer.Exit(1)


def _preview_json(item: Preview, path: Path | None) -> dict[str, Any]:
    return {
        "subscription": item.subscription.id,
        "period": ledger_key(item.period),
        "empty": item.digest.empty,
        "subject": item.rendered.subject if item.rendered else None,
        "papers": [
            {"id": entry.paper_id, "section": entry.section, "reasons": list(entry.reasons)}
            for entry in item.digest.items
        ],
        "out": str(path) if path else None,
    }


@digest_app.command("preview")
def preview_command(
    email: Annotated[str, typer.Argument(help="A subscriber's address.")],
    period: Annotated[
        str | None,
        typer.Option("--period", help="A day, YYYY-MM-DD (default: the latest day with papers)."),
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Write the HTML here (several subscriptions: FILE-<id>.html)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Show the digest an address would get, without sending or recording anything."""
    paperfeed = get_linking_app()
    previews = preview(
        paperfeed,
        email,
        day=parse_day(period, "--period"),
        recommendations=PersonalRecommendations(paperfeed, batch=False),
    )
    results = []
    for item in previews:
        path = None
        if out_file is not None and item.rendered is not None:
            path = (
                out_file
                if len(previews) == 1
                else out_file.with_name(f"{out_file.stem}-{item.subscription.id}{out_file.suffix or '.html'}")
            )
            write_file(path, item.rendered.html)
        results.append(_preview_json(item, path))
        if as_json:
            continue
        heading = f"subscription {item.subscription.id}, {ledger_key(item.period)}"
        if item.rendered is None:
            out.print(f"{heading}: empty (nothing to send for this period)", highlight=False)
        elif path is not None:
            out.print(f"{heading}: {len(item.digest)} papers, HTML written to {path}", highlight=False)
        else:
            out.print(f"Subject: {item.rendered.subject}\n\n{item.rendered.text}", highlight=False)
    if as_json:
        emit_json({"email": email, "previews": results})


@digest_app.command("subscribe")
def subscribe_command(
    emails: Annotated[list[str], typer.Argument(help="Addresses to subscribe.")],
    frequency: Annotated[str, typer.Option(help="daily or weekly.")] = "daily",
    category: Annotated[
        list[str] | None, typer.Option("--category", help="Follow new papers in a category (repeat).")
    ] = None,
    author: Annotated[list[str] | None, typer.Option("--author", help="Follow an author (repeat).")] = None,
    query: Annotated[
        list[str] | None,
        typer.Option("--query", help="A keyword query, search syntax: '\"world model\" -survey' (repeat)."),
    ] = None,
    trending: Annotated[
        bool, typer.Option("--trending/--no-trending", help="Include trending papers.")
    ] = True,
    trending_category: Annotated[
        list[str] | None,
        typer.Option("--trending-category", help="Trending in this category instead of site-wide (repeat)."),
    ] = None,
    max_papers: Annotated[int | None, typer.Option(help="Size limit per digest.")] = None,
    recommended: Annotated[
        bool,
        typer.Option(
            "--recommended",
            help="Add a 'Recommended for you' section: the member's For you ranking (members only).",
        ),
    ] = False,
    confirmed: Annotated[
        bool,
        typer.Option(
            "--confirmed",
            help="The readers already consented: subscribe them at once, with no confirmation mail.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Import subscribers; without --confirmed each gets the confirmation mail first."""
    paperfeed = get_linking_app() if not confirmed else get_app()
    choices = make_choices(
        frequency=frequency,
        trending=(trending_category or True) if trending else False,
        categories=category,
        authors=author,
        queries=query,
        max_papers=max_papers,
        default_max_papers=paperfeed.settings.digest_max_papers,
        recommended=recommended,
    )
    results = import_subscribers(paperfeed, emails, choices, confirmed=confirmed)
    if as_json:
        emit_json(
            {
                "choices": describe(choices),
                "subscriptions": [
                    {
                        "email": r.email,
                        "id": r.subscription_id,
                        "status": r.status,
                        "created": r.created,
                        "mailed": r.mailed,
                    }
                    for r in results
                ],
            }
        )
        return
    for r in results:
        what = "confirmation mail sent" if r.mailed else ("active" if r.status == "active" else r.status)
        out.print(f"{r.email}: subscription {r.subscription_id}, {what}", highlight=False)
    out.print(describe(choices), highlight=False)


@digest_app.command("list")
def list_command(
    email: Annotated[str | None, typer.Option(help="Only this address.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many, newest first.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """List subscriptions (newest first) with their status: pending, active, paused, unsubscribed."""
    paperfeed = get_app()
    address = email.strip().lower() if email else None
    found = paperfeed.store.subscriptions.listing(email=address, limit=limit)
    counts = paperfeed.store.subscriptions.status_counts()
    if as_json:
        emit_json({"counts": counts, "subscriptions": [_subscription_json(s) for s in found]})
        return
    for subscription in found:
        shown = one_line(subscription.email)  # rows stored before addresses were checked may hold CR/LF
        line = f"{subscription.id:>6}  {subscription.status:<12} {shown}  {describe(subscription.choices)}"
        if subscription.status == "paused":
            line += (
                f"  [paused after {subscription.failure_streak} failed deliveries: {subscription.last_error}]"
            )
        out.print(line, highlight=False)
    summary = ", ".join(f"{n:,} {status}" for status, n in sorted(counts.items())) or "no subscriptions"
    err.print(summary, highlight=False)


@digest_app.command("unsubscribe")
def unsubscribe_command(
    email: Annotated[str, typer.Argument(help="The address to stop sending to.")],
    as_json: JsonOption = False,
) -> None:
    """Stop every subscription of an address (a reader asked by other means)."""
    found = unsubscribe_address(get_app(), email)
    if as_json:
        emit_json({"email": email, "subscriptions": [_subscription_json(s) for s in found]})
        return
    out.print(f"{len(found)} subscription(s) of {found[0].email} stopped", highlight=False)
