"""The store queries behind period lists and the Papers API: window dates, featurings per paper,
handles. Both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from paperfeed.accounts import AccountError, ensure_user, set_handle
from paperfeed.context import Paperfeed
from paperfeed.records import PaperRecord, finalize
from paperfeed.store import Window


def _paper(paper_id: str, published: datetime | None, categories: list[str]) -> PaperRecord:
    return finalize(
        PaperRecord(paper_id=paper_id, title=f"Paper {paper_id}", categories=categories, published=published)
    )


def test_window_dates_are_every_dated_paper_of_the_window_newest_first(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store
    store.papers.write_batch(
        [
            _paper("2602.00001", datetime(2026, 2, 16, 0, 0, tzinfo=UTC), ["cs.AI"]),
            _paper("2602.00002", datetime(2026, 2, 22, 23, 59, 59, tzinfo=UTC), ["cs.LG"]),
            _paper("2602.00003", datetime(2026, 2, 23, 0, 0, tzinfo=UTC), ["cs.AI"]),  # next week
            _paper("2602.00004", datetime(2026, 2, 18, 12, 0, tzinfo=UTC), ["math.CO"]),  # not followed
            _paper("2602.00005", datetime(2026, 2, 18, 12, 0, tzinfo=UTC), ["cs.AI", "math.CO"]),
        ]
    )
    window = Window(categories=("cs.AI", "cs.LG"), since=datetime(2026, 2, 16), until=datetime(2026, 2, 23))
    assert store.papers.window_dates(window) == [
        ("2602.00002", datetime(2026, 2, 22, 23, 59, 59)),
        ("2602.00005", datetime(2026, 2, 18, 12, 0)),
        ("2602.00001", datetime(2026, 2, 16, 0, 0)),
    ]
    assert store.papers.window_dates(Window(categories=("q-bio.GN",))) == []


def test_featurings_per_paper_skip_hidden_and_give_the_range_of_days(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store
    user = ensure_user(paperfeed_app, "m@example.org")
    assert store.featured.earliest_day() is None and store.featured.for_papers(["2602.00001"]) == {}
    store.featured.add(
        date(2026, 2, 20), "2602.00001", source="submission", user_id=user.id, now=datetime(2026, 2, 20, 9)
    )
    store.featured.add(
        date(2026, 1, 5), "2602.00001", source="curator", user_id=None, now=datetime(2026, 1, 5, 9)
    )
    store.featured.add(
        date(2025, 12, 1), "2602.00002", source="submission", user_id=user.id, now=datetime(2025, 12, 1)
    )
    store.featured.set_hidden(
        date(2025, 12, 1), "2602.00002", hidden=True, user_id=None, now=datetime(2025, 12, 2)
    )
    found = store.featured.for_papers(["2602.00001", "2602.00002", "2602.00001"])
    assert list(found) == ["2602.00001"]
    assert [(e.day, e.source, e.user_id) for e in found["2602.00001"]] == [
        (date(2026, 1, 5), "curator", None),
        (date(2026, 2, 20), "submission", user.id),
    ]
    assert store.featured.earliest_day() == date(2026, 1, 5)  # the hidden December entry does not count


def test_handles_are_chosen_unique_and_never_the_email(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store
    ada = ensure_user(paperfeed_app, "ada@example.org")
    bob = ensure_user(paperfeed_app, "bob@example.org")
    assert ada.handle is None and store.accounts.handles([ada.id, bob.id]) == {}
    ada = set_handle(paperfeed_app, ada, "  @Ada-L ")
    assert ada.handle == "ada-l" and store.accounts.user_by_handle("ada-l") == ada
    with pytest.raises(AccountError, match="taken"):
        set_handle(paperfeed_app, bob, "ADA-L")
    assert store.accounts.set_handle(bob.id, "ada-l") is False  # the unique index decides races
    for bad in ["a b", "-ada", "ada-", "a" * 33, "ada@example.org", "<b>", "admin"]:
        with pytest.raises(AccountError):
            set_handle(paperfeed_app, bob, bad)
    bob = set_handle(paperfeed_app, bob, "bob")
    assert store.accounts.handles([ada.id, bob.id, 999]) == {ada.id: "ada-l", bob.id: "bob"}
    assert set_handle(paperfeed_app, ada, "ada-l").handle == "ada-l"  # keeping one's own handle is fine
    assert set_handle(paperfeed_app, ada, "").handle is None and store.accounts.handles([ada.id]) == {}


def test_blend_weights_are_replaced_and_members_counted_by_distinct_saves(paperfeed_app: Paperfeed) -> None:
    from paperfeed.library import collections

    store = paperfeed_app.store
    assert store.recommend.get_blend("for-you") is None
    store.recommend.put_blend(
        "for-you", weights='{"weights": {}}', active=False, report="{}", now=datetime(2026, 12, 1, 12, 0)
    )
    later = datetime(2026, 12, 2, 12, 0)
    store.recommend.put_blend(
        "for-you", weights='{"weights": {"x": 1}}', active=True, report='{"a": 1}', now=later
    )
    stored = store.recommend.get_blend("for-you")
    assert stored is not None and stored.active and stored.report == '{"a": 1}' and stored.fitted_at == later
    papers = [_paper(f"2602.0000{i}", datetime(2026, 2, 1, tzinfo=UTC), ["cs.LG"]) for i in range(1, 4)]
    store.papers.write_batch(papers)
    two, one = ensure_user(paperfeed_app, "two@example.org"), ensure_user(paperfeed_app, "one@example.org")
    other = collections.create_collection(paperfeed_app, two, "Other")
    for paper_id in ("2602.00001", "2602.00002"):
        collections.save(paperfeed_app, two, paper_id)
        collections.save(paperfeed_app, two, paper_id, collection=other.id)  # counted once
    collections.save(paperfeed_app, one, "2602.00003")
    assert store.library.members_with_saves(2) == [two.id]
    assert store.library.members_with_saves(1) == sorted([one.id, two.id])
