"""The pure parts of digests: periods, choice validation, and composition with reasons (hand-checked)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from paperfeed.digest.choices import describe, make_choices, same_choices
from paperfeed.digest.compose import ComposedDigest, Source, compose
from paperfeed.digest.content import name_key
from paperfeed.digest.due import (
    daily_period,
    due_periods,
    ledger_key,
    parse_ledger_key,
    periods_for_day,
    weekly_period,
)
from paperfeed.errors import InvalidInput


# ------------------------------------------------------------------------------ periods
def test_daily_periods_are_announcement_days_and_monday_holds_the_weekend() -> None:
    friday = daily_period(date(2026, 2, 20))
    assert friday is not None and ledger_key(friday) == "daily:2026-02-20"
    assert (friday.first, friday.last) == (date(2026, 2, 20), date(2026, 2, 20))
    assert daily_period(date(2026, 2, 21)) is None and daily_period(date(2026, 2, 22)) is None
    monday = daily_period(date(2026, 2, 23))
    assert monday is not None and (monday.first, monday.last) == (date(2026, 2, 21), date(2026, 2, 23))
    assert monday.description == "Monday, February 23, 2026 (with the papers since Saturday)"


def test_weekly_periods_are_iso_weeks() -> None:
    week = weekly_period(date(2026, 2, 20))
    assert ledger_key(week) == "weekly:2026-W08"
    assert (week.first, week.last) == (date(2026, 2, 16), date(2026, 2, 22))
    assert weekly_period(date(2026, 2, 16)) == week == weekly_period(date(2026, 2, 22))
    assert week.description == "the week of February 16–22, 2026" and week.label == "Week 8, 2026"
    assert ledger_key(weekly_period(date(2026, 1, 1))) == "weekly:2026-W01"


def test_explicit_and_due_periods() -> None:
    chosen = periods_for_day(date(2026, 2, 20))
    assert chosen["daily"] is not None and ledger_key(chosen["daily"]) == "daily:2026-02-20"
    assert chosen["weekly"] is not None and ledger_key(chosen["weekly"]) == "weekly:2026-W08"
    # Run on Tuesday 24 Feb: Monday's daily digest (with the weekend), and the week before.
    due = due_periods(date(2026, 2, 24))
    assert due["daily"] is not None and ledger_key(due["daily"]) == "daily:2026-02-23"
    assert due["weekly"] is not None and ledger_key(due["weekly"]) == "weekly:2026-W08"
    # Run on Monday: yesterday was Sunday (no daily digest); the week that just ended.
    due = due_periods(date(2026, 2, 23))
    assert due["daily"] is None
    assert due["weekly"] is not None and ledger_key(due["weekly"]) == "weekly:2026-W08"
    # Run on Sunday: the week is not over yet, so the weekly digest is the previous week's.
    assert ledger_key(due_periods(date(2026, 2, 22))["weekly"]) == "weekly:2026-W07"  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["daily:2026-02-20", "weekly:2026-W08", "daily:2026-02-23"])
def test_period_keys_round_trip(key: str) -> None:
    assert ledger_key(parse_ledger_key(key)) == key


@pytest.mark.parametrize("key", ["daily:2026-02-21", "weekly:2026-W60", "monthly:2026-02", "daily:x", ""])
def test_malformed_period_keys_are_refused(key: str) -> None:
    with pytest.raises(InvalidInput):
        parse_ledger_key(key)


# ------------------------------------------------------------------------------ choices
def test_choices_are_tidied_and_defaulted() -> None:
    choices = make_choices(
        categories=["cs.CL", " cs.CL ", "stat.ML"],
        authors=["  Jane   Doe ", "Jane Doe"],
        queries=['"world model"  -survey cat:cs.LG'],
        default_max_papers=15,
    )
    assert choices.frequency == "daily" and choices.trending and choices.trending_categories == ()
    assert choices.categories == ("cs.CL", "stat.ML")
    assert choices.authors == ("Jane Doe",)
    assert choices.queries == ('"world model" -survey cat:cs.LG',)
    assert choices.max_papers == 15
    assert make_choices(trending=["cs.CL"]).trending_categories == ("cs.CL",)
    assert not make_choices(trending=False).trending
    assert "trending in cs.CL" in describe(make_choices(trending=["cs.CL"], frequency="weekly"))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"frequency": "hourly"}, "frequency"),
        ({"categories": ["cs LG"]}, "categories"),
        ({"categories": ["<script>"]}, "categories"),
        ({"trending": ["not a category!"]}, "trending"),
        ({"queries": ["-survey"]}, "queries"),
        ({"queries": ["the of and"]}, "queries"),
        ({"queries": ["x" * 301]}, "queries"),
        ({"authors": ["1234"]}, "authors"),
        ({"max_papers": 0}, "max_papers"),
        ({"max_papers": 101}, "max_papers"),
        ({"categories": [f"cs.X{'x' * i}" for i in range(31)]}, "categories"),
    ],
)
def test_bad_choices_name_their_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput, match=f"^{field}:"):
        make_choices(**kwargs)  # type: ignore[arg-type]


def test_same_choices_ignore_the_size_limit() -> None:
    assert same_choices(make_choices(max_papers=5), make_choices(max_papers=50))
    assert not same_choices(make_choices(), make_choices(frequency="weekly"))


def test_author_names_compare_without_case_accents_or_spacing() -> None:
    assert name_key("Zoë  Martín") == name_key("zoe martin") == "zoe martin"
    assert name_key("J.Doe") == name_key("J. Doe")
    assert name_key("J. Doe") != name_key("Jane Doe")


# ------------------------------------------------------------------------------ composition
def test_sources_take_turns_and_each_paper_has_all_its_reasons() -> None:
    trending = Source("trending", "", ["t1", "t2", "c1"])
    author = Source("author", "Jane Doe", ["a1"], {"a1": "Jane Doe"})
    query = Source("query", "diffusion", ["q1", "c1", "q2"])
    category = Source("category", "cs.CL", ["c1", "c2", "c3", "c4"])
    digest = compose([trending, author, query, category], 6)
    # Round 1: t1, a1, q1, c1; round 2: t2, (author done), then q's next unseen is q2 -> limit 6.
    assert [item.paper_id for item in digest.items] == ["t1", "t2", "a1", "q1", "q2", "c1"]
    by_id = {item.paper_id: item for item in digest.items}
    assert by_id["t1"].reasons == ("trending #1",)
    assert by_id["a1"].reasons == ("by Jane Doe, whom you follow",)
    assert by_id["c1"].section == "category"
    assert by_id["c1"].reasons == ("trending #3", "matches 'diffusion'", "new in cs.CL")
    assert [kind for kind, _ in digest.sections()] == ["trending", "author", "query", "category"]


def test_size_limit_and_emptiness() -> None:
    category = Source("category", "cs.LG", [f"p{i}" for i in range(50)])
    assert len(compose([category], 20)) == 20
    assert compose([Source("query", "nothing", [])], 20).empty
    assert compose([], 20).empty


def test_per_category_trending_says_where() -> None:
    digest = compose([Source("trending", "cs.CL", ["x", "y"])], 5)
    assert digest.items[1].reasons == ("trending #2 in cs.CL",)


def test_composed_digests_survive_the_ledger() -> None:
    digest = compose([Source("trending", "", ["a", "b"]), Source("category", "cs.AI", ["b", "c"])], 3)
    assert ComposedDigest.from_json(digest.to_json()) == digest
    with pytest.raises(ValueError):
        ComposedDigest.from_json({"not": "a list"})


# ------------------------------------------------------------------------------ signed links
def test_link_tokens_are_bound_to_their_kind_and_cannot_be_altered(tmp_path: object) -> None:
    from paperfeed.config import Settings
    from paperfeed.digest import links

    settings = Settings(data_dir=tmp_path, secret_key="k" * 40)  # type: ignore[arg-type]
    token = links.sign(settings, "unsubscribe", 42)
    assert links.read(settings, "unsubscribe", token) == [42]
    _, mac = token.split(".")
    forged = links.sign(settings, "unsubscribe", 43).split(".")[0] + "." + mac
    for bad in (forged, token + "x", "." + mac, token.replace(".", ""), "é" + token, ""):
        with pytest.raises(links.InvalidLink):
            links.read(settings, "unsubscribe", bad)
    with pytest.raises(links.InvalidLink):
        links.read(settings, "manage", token)  # an unsubscribe token is not a manage token
    other = Settings(data_dir=tmp_path, secret_key="o" * 40)  # type: ignore[arg-type]
    with pytest.raises(links.InvalidLink):
        links.read(other, "unsubscribe", token)
    made = datetime(2026, 2, 20, 9)
    confirm = links.sign(settings, "confirm", 42, "nonce", now=made)
    assert links.read(settings, "confirm", confirm, now=made + timedelta(days=6)) == [42, "nonce"]
    with pytest.raises(links.InvalidLink, match="expired"):
        links.read(settings, "confirm", confirm, now=made + timedelta(days=8))
    view = links.sign(settings, "view", 42, "daily:2026-02-20")
    assert links.read(settings, "view", view) == [42, "daily:2026-02-20"]
    assert links.view_url(settings, 42, "daily:2026-02-20").endswith("/digest/view/" + view)
