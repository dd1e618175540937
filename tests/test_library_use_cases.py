"""Library use cases on both backends: collections, annotations, feedback, follows and their feed,
the signals a recommender reads, and how merges of title-only papers carry library rows along."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from paperfeed.accounts import ensure_user
from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput, NotFound, SignInRequired
from paperfeed.ids import title_id
from paperfeed.library import collections, feedback, follows
from paperfeed.library.annotations import UNSET, annotate, parse_tags
from paperfeed.library.follows_feed import Reason, follows_feed, follows_page, rank_matches
from paperfeed.library.marks import marks_for
from paperfeed.library.signals import (
    IGNORED_WEIGHT,
    already_seen,
    member_signals,
    negative_weights,
    positive_weights,
)
from paperfeed.records import PaperRecord, finalize
from paperfeed.search.engine import search
from paperfeed.store import User

NOW = datetime(2026, 2, 21, 12, 0)  # the day after the sample's newest paper (naive UTC)


def member(app: Paperfeed, email: str = "reader@example.org") -> User:
    return ensure_user(app, email)


def feed_ids(app: Paperfeed, user: User, **kwargs: object) -> list[str]:
    return [i.paper_id for i in follows_feed(app, user.id, now=NOW, **kwargs).items]  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ collections
def test_save_goes_to_saved_and_is_idempotent_and_unsave_keeps_annotations(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    assert collections.save(sample_app, user, "2602.18319v1") == "2602.18319"  # any spelling of the id
    collections.save(sample_app, user, "2602.18319")
    (saved,) = collections.my_collections(sample_app, user)
    assert (saved.name, saved.slug, saved.visibility, saved.size) == ("Saved", "saved", "private", 1)
    annotate(sample_app, user, "2602.18319", note="Read before Friday", tags=["vr", "to read"], read=True)
    collections.unsave(sample_app, user, "2602.18319")
    assert collections.library_papers(sample_app, user)[0] == []
    collections.save(sample_app, user, "2602.18319")
    (item,), _ = collections.library_papers(sample_app, user)
    assert item.annotation is not None and item.annotation.note == "Read before Friday"
    assert item.annotation.tags == ["to read", "vr"] and item.annotation.read
    with pytest.raises(NotFound):
        collections.save(sample_app, user, "2602.99999")
    with pytest.raises(SignInRequired):
        collections.save(sample_app, None, "2602.18319")


def test_collections_crud_names_slugs_and_ownership(sample_app: Paperfeed) -> None:
    owner, other = member(sample_app), member(sample_app, "other@example.org")
    group = collections.create_collection(
        sample_app, owner, "  Reading group: Diffusion (2026) ", visibility="public"
    )
    assert (group.name, group.slug, group.ref) == (
        "Reading group: Diffusion (2026)",
        "reading-group-diffusion-2026",
        f"{group.id}-reading-group-diffusion-2026",
    )
    with pytest.raises(InvalidInput, match="already have a collection"):
        collections.create_collection(sample_app, owner, "reading group diffusion 2026")
    for bad in ("", "   ", "x" * 101, "tab\tin\x07name"):
        with pytest.raises(InvalidInput):
            collections.create_collection(sample_app, owner, bad)
    with pytest.raises(InvalidInput, match="visibility"):
        collections.create_collection(sample_app, owner, "Secret", visibility="friends")
    # A NUL that PostgreSQL cannot store (found by the generated-request run) is refused in words.
    with pytest.raises(InvalidInput, match="control characters"):
        collections.create_collection(sample_app, owner, "Nul", description="a\x00b")
    described = collections.create_collection(sample_app, owner, "Described", description="one\r\ntwo\tthree")
    assert described.description == "one\ntwo\tthree"
    collections.delete_collection(sample_app, owner, described.ref)
    collections.save(sample_app, owner, "2602.18201", collection=group.ref)
    # Someone else may read a public collection, but not change it; a private one does not exist for them.
    assert collections.visible_collection(sample_app, other, group.ref).id == group.id
    assert collections.visible_collection(sample_app, None, str(group.id)).id == group.id
    with pytest.raises(NotFound):
        collections.save(sample_app, other, "2602.18201", collection=group.ref)
    private = collections.create_collection(sample_app, owner, "Private notes")
    for viewer in (other, None):
        with pytest.raises(NotFound):
            collections.visible_collection(sample_app, viewer, private.ref)
    for bad_ref in ("abc", "-1", "1e3", "99999999"):
        with pytest.raises(NotFound):
            collections.visible_collection(sample_app, owner, bad_ref)
    renamed = collections.update_collection(
        sample_app, owner, group.ref, name="Diffusion club", visibility="private"
    )
    assert (renamed.slug, renamed.visibility, renamed.size) == ("diffusion-club", "private", 1)
    with pytest.raises(NotFound):
        collections.visible_collection(sample_app, other, renamed.ref)
    collections.delete_collection(sample_app, owner, renamed.ref)
    assert [c.name for c in collections.my_collections(sample_app, owner)] == ["Private notes"]


def test_public_collection_hides_annotations_from_others(sample_app: Paperfeed) -> None:
    owner, other = member(sample_app), member(sample_app, "other@example.org")
    group = collections.create_collection(sample_app, owner, "Shared", visibility="public")
    collections.save(sample_app, owner, "2602.18201", collection=group.id)
    annotate(sample_app, owner, "2602.18201", note="private thought", tags=["mine"])
    mine = collections.collection_page(sample_app, owner, group.id)
    theirs = collections.collection_page(sample_app, other, group.id)
    assert mine.is_owner and mine.papers[0].annotation is not None
    assert not theirs.is_owner and theirs.papers[0].annotation is None


def test_memberships_and_library_filters(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    a = collections.create_collection(sample_app, user, "A")
    b = collections.create_collection(sample_app, user, "B")
    collections.set_memberships(sample_app, user, "2602.18319", [a.id, b.ref])
    collections.set_memberships(sample_app, user, "2602.18201", [a.id])
    annotate(sample_app, user, "2602.18201", tags=["fairness"], read=True)
    assert marks_for(sample_app, user, ["2602.18319"])["2602.18319"].collections == (a.id, b.id)
    collections.set_memberships(sample_app, user, "2602.18319", [b.id])
    assert marks_for(sample_app, user, ["2602.18319"])["2602.18319"].collections == (b.id,)
    everything, _ = collections.library_papers(sample_app, user)
    assert {i.paper.paper_id for i in everything} == {"2602.18319", "2602.18201"}
    tagged, _ = collections.library_papers(sample_app, user, tag="fairness")
    unread, _ = collections.library_papers(sample_app, user, unread_only=True)
    assert [i.paper.paper_id for i in tagged] == ["2602.18201"]
    assert [i.paper.paper_id for i in unread] == ["2602.18319"]
    collections.remove_from_library(sample_app, user, "2602.18319")
    assert marks_for(sample_app, user, ["2602.18319"]) == {}


def test_annotations_validate_before_writing(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    with pytest.raises(InvalidInput, match="commas"):
        annotate(sample_app, user, "2602.18201", note="kept?", tags=["a,b"])
    assert collections.library_papers(sample_app, user)[0] == []  # nothing was written
    note = annotate(
        sample_app, user, "2602.18201", note="  line\r\n\r\n\r\n\r\nnext  \n", tags=parse_tags("x; y, ,x")
    )
    assert note.note == "line\n\nnext" and note.tags == ["x", "y"]
    assert annotate(sample_app, user, "2602.18201", note=UNSET, add_tags=["z"], remove_tags=["x"]).tags == [
        "y",
        "z",
    ]
    assert annotate(sample_app, user, "2602.18201", note=None).note is None
    with pytest.raises(InvalidInput, match="control characters"):
        annotate(sample_app, user, "2602.18201", note="bell\x07")
    with pytest.raises(InvalidInput, match="at most 50 tags"):
        annotate(sample_app, user, "2602.18201", tags=[f"t{i}" for i in range(51)])


def test_a_merge_of_a_title_only_paper_moves_library_rows(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store
    hf = finalize(PaperRecord(paper_id="", title="Attention is all you need", abstract="From a saved page."))
    store.papers.write_batch([hf])
    user = member(paperfeed_app)
    collections.save(paperfeed_app, user, hf.paper_id)
    annotate(paperfeed_app, user, hf.paper_id, note="the transformer", tags=["classic"])
    feedback.give_feedback(paperfeed_app, user, hf.paper_id, "more")
    feedback.record_impressions(paperfeed_app, user.id, [hf.paper_id], now=NOW)
    arxiv = finalize(PaperRecord(paper_id="1706.03762", title="Attention Is All You Need", version=1))
    store.papers.write_batch([arxiv])
    assert hf.paper_id == title_id("attention is all you need")
    signals = member_signals(paperfeed_app, user.id)
    assert set(signals.saved) == {"1706.03762"} and set(signals.more) == {"1706.03762"}
    assert set(signals.impressions) == {"1706.03762"}
    (item,), _ = collections.library_papers(paperfeed_app, user)
    assert item.paper.paper_id == "1706.03762" and item.annotation is not None
    assert (item.annotation.note, item.annotation.tags) == ("the transformer", ["classic"])


# ---------------------------------------------------------------------------------- feedback
def test_feedback_replaces_earlier_feedback_and_can_be_withdrawn(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    assert feedback.give_feedback(sample_app, user, "2602.18201", "more").kind == "more"
    feedback.give_feedback(sample_app, user, "2602.18201", "not_interested")
    assert marks_for(sample_app, user, ["2602.18201"])["2602.18201"].feedback == "not_interested"
    items, more = feedback.feedback_list(sample_app, user)
    assert [(p.paper_id, f.kind) for p, f in items] == [("2602.18201", "not_interested")] and not more
    assert feedback.withdraw_feedback(sample_app, user, "2602.18201").kind is None
    assert feedback.feedback_list(sample_app, user)[0] == []
    with pytest.raises(InvalidInput):
        feedback.give_feedback(sample_app, user, "2602.18201", "love")


def test_impressions_count_each_showing(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    feedback.record_impressions(sample_app, user.id, ["2602.18201", "2602.18319", "2602.18201"], now=NOW)
    feedback.record_impressions(sample_app, user.id, ["2602.18201"], now=NOW + timedelta(hours=1))
    seen = sample_app.store.signals.impressions_of(user.id)
    assert seen["2602.18201"].times_shown == 2 and seen["2602.18319"].times_shown == 1
    assert seen["2602.18201"].first_shown_at == NOW and seen["2602.18201"].last_shown_at == NOW + timedelta(
        hours=1
    )
    assert feedback.reset_impressions(sample_app, user) == 2


def test_driver_switches(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    group = collections.create_collection(sample_app, user, "Seeds")
    assert feedback.drivers(sample_app, user) == {
        "follows": True,
        "library": True,
        "more_like_this": True,
        "co_saves": True,
        "not_interested": True,
        f"collection:{group.id}": True,
    }
    assert (
        feedback.set_driver(sample_app, user, f"collection:{group.id}", False)[f"collection:{group.id}"]
        is False
    )
    assert feedback.set_driver(sample_app, user, "follows", False)["follows"] is False
    with pytest.raises(InvalidInput, match="unknown feed driver"):
        feedback.set_driver(sample_app, user, "trending", False)
    other = member(sample_app, "other@example.org")
    with pytest.raises(NotFound):
        feedback.set_driver(sample_app, other, f"collection:{group.id}", False)
    collections.delete_collection(sample_app, user, group.id)
    assert sample_app.store.signals.drivers_of(user.id) == {"follows": False}
    assert all(feedback.reset_drivers(sample_app, user).values())


# -------------------------------------------------------------------------- signals (pure)
def test_positive_and_negative_weights_follow_the_rules_and_the_switches(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    seeds = collections.create_collection(sample_app, user, "Seeds")
    collections.save(sample_app, user, "2602.18319", collection=seeds.id)
    collections.save(sample_app, user, "2602.18201")
    feedback.give_feedback(sample_app, user, "2602.16301", "more")
    feedback.give_feedback(sample_app, user, "2602.18409", "not_interested")
    feedback.record_impressions(sample_app, user.id, ["2602.17902", "2602.18201"] * 1, now=NOW)
    for _ in range(2):
        feedback.record_impressions(sample_app, user.id, ["2602.17902", "2602.18201"], now=NOW)
    signals = member_signals(sample_app, user.id)
    assert positive_weights(signals) == {"2602.18319": 1.0, "2602.18201": 1.0, "2602.16301": 1.0}
    # Shown three times and never acted on: a weak negative; the saved one shown as often is not.
    assert negative_weights(signals) == {"2602.18409": 1.0, "2602.17902": IGNORED_WEIGHT}
    assert already_seen(signals) == {"2602.18319", "2602.18201", "2602.18409", "2602.17902"}
    feedback.set_driver(sample_app, user, f"collection:{seeds.id}", False)
    feedback.set_driver(sample_app, user, "more_like_this", False)
    assert positive_weights(member_signals(sample_app, user.id)) == {"2602.18201": 1.0}
    feedback.set_driver(sample_app, user, "library", False)
    assert positive_weights(member_signals(sample_app, user.id)) == {}


def test_positive_weights_decay_with_a_half_life() -> None:
    from paperfeed.library.signals import MemberSignals

    signals = MemberSignals(user_id=1, collections={1: {"a": NOW - timedelta(days=14)}}, more={"b": NOW})
    weights = positive_weights(signals, now=NOW, half_life_days=14)
    assert weights == {"a": pytest.approx(0.5), "b": pytest.approx(1.0)}
    signals.not_interested["b"] = NOW  # "not interested" wins over an older "more like this" on one paper
    assert "b" not in positive_weights(signals)


# ----------------------------------------------------------------------------------- follows
def test_follow_validation(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    follow, created = follows.add_follow(sample_app, user, "query", '  diffusion   -"stable diffusion" ')
    assert created and follow.value == 'diffusion -"stable diffusion"'
    again, created = follows.add_follow(sample_app, user, "query", 'diffusion -"stable diffusion"')
    assert again.id == follow.id and not created
    for kind, value, message in [
        ("query", '-"stable diffusion"', "only excludes"),
        ("query", "the of and", "no word to search for"),
        ("query", "   ", "give the query"),
        ("category", "cs", "not the whole"),
        ("category", "cs.LG; DROP TABLE", "not an arXiv category"),
        ("author", "x" * 201, "at most 200"),
        ("journal", "Nature", "not a 'journal'"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            follows.add_follow(sample_app, user, kind, value)
    assert follows.add_follow(sample_app, user, "query", "author:bingham -fairness")[1]
    assert follows.add_follow(sample_app, user, "category", "hep-th")[1]
    other = member(sample_app, "other@example.org")
    with pytest.raises(NotFound):
        follows.remove_follow(sample_app, other, follow.id)


def test_follows_feed_matches_authors_categories_and_queries_with_reasons(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    author, _ = follows.add_follow(sample_app, user, "author", "Joseph Bingham")
    follows.add_follow(sample_app, user, "category", "stat.ML")
    follows.add_follow(sample_app, user, "query", "fairness")
    feed = follows_feed(sample_app, user.id, now=NOW)
    assert (feed.since.isoformat(), feed.until.isoformat()) == ("2026-02-15", "2026-02-21")
    bingham = {p for p in sample_app.store.papers.window_ids(_author_window("Joseph Bingham"), limit=10)}
    assert len(bingham) == 3
    by_id = {i.paper_id: i for i in feed.items}
    assert bingham <= set(by_id)
    # 2602.18201 is by Bingham and about fairness: two reasons, the top score (author 3 + query 2).
    top = feed.items[0]
    assert top.paper_id == "2602.18201" and top.score == 5.0
    assert {(r.kind, r.value) for r in top.reasons} == {("author", "Joseph Bingham"), ("query", "fairness")}
    stat_ml = sample_app.store.papers.window_ids(_category_window("stat.ML"), limit=50)
    assert set(stat_ml) <= set(by_id) and len(stat_ml) == 7
    # A switched-off follow stops contributing; switched on again, it is back.
    follows.set_follow_enabled(sample_app, user, author.id, False)
    without = set(feed_ids(sample_app, user))
    assert not (bingham - {"2602.18201"}) & without  # the fairness query still brings 2602.18201
    follows.set_follow_enabled(sample_app, user, author.id, True)
    assert bingham <= set(feed_ids(sample_app, user))
    # A month later with no newer paper in the store: the window ends on the newest paper's day (not
    # an empty feed forever, as on the demo corpus) and says so.
    later = follows_feed(sample_app, user.id, now=NOW + timedelta(days=30))
    from paperfeed.store import Window

    newest = sample_app.store.papers.window_edge(Window(), newest=True)
    assert newest is not None and later.until == newest.date() and (later.until - later.since).days == 6
    assert bingham & {i.paper_id for i in later.items}
    assert any("newer than" in notice for notice in later.notices)
    # Papers older than the window are not listed.
    dates = sample_app.store.papers.published_dates([i.paper_id for i in later.items])
    assert all(d is not None and later.since <= d.date() <= later.until for d in dates.values())


def _author_window(name: str):  # type: ignore[no-untyped-def]
    from paperfeed.store import Window

    return Window(author=name)


def _category_window(category: str):  # type: ignore[no-untyped-def]
    from paperfeed.store import Window

    return Window(categories=(category,))


def test_query_follow_exclusions_exclude(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    plain, _ = follows.add_follow(sample_app, user, "query", "diffusion")
    everything = set(feed_ids(sample_app, user))
    follows.remove_follow(sample_app, user, plain.id)
    follows.add_follow(sample_app, user, "query", 'diffusion -"reinforcement learning"')
    kept = set(feed_ids(sample_app, user))
    removed = everything - kept
    assert kept and removed and kept < everything
    papers = sample_app.store.papers.get_many(sorted(everything))
    text = {pid: f"{p.title} {p.abstract}".lower() for pid, p in papers.items()}
    assert all("reinforcement learning" in text[pid] for pid in removed)
    assert not any("reinforcement learning" in text[pid] for pid in kept)
    # The feed's query follow answers exactly what the search engine answers for the same window.
    found = search(sample_app, 'diffusion -"reinforcement learning"', mode="keyword", limit=100)
    assert kept == {h.paper_id for h in found.hits}


def test_not_interested_leaves_the_follows_feed_at_once(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    follows.add_follow(sample_app, user, "author", "Joseph Bingham")
    before = feed_ids(sample_app, user)
    feedback.give_feedback(sample_app, user, before[0], "not_interested")
    after = feed_ids(sample_app, user)
    assert before[0] not in after and after == before[1:]
    feedback.withdraw_feedback(sample_app, user, before[0])
    assert feed_ids(sample_app, user) == before


def test_follows_page_counts_impressions(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    follows.add_follow(sample_app, user, "author", "Joseph Bingham")
    page = follows_page(sample_app, user, now=NOW)
    follows_page(sample_app, user, now=NOW)
    assert len(page.papers) == 3 and len(page.follows) == 1
    seen = sample_app.store.signals.impressions_of(user.id)
    assert {pid: s.times_shown for pid, s in seen.items()} == {p.paper_id: 2 for p in page.papers}


def test_rank_matches_is_pure_and_hand_checked() -> None:
    day = datetime(2026, 2, 20)
    matches = {
        "a": [Reason(1, "category", "cs.LG")],
        "b": [Reason(2, "author", "X"), Reason(3, "category", "cs.LG"), Reason(2, "author", "X")],
        "c": [Reason(4, "query", "q")],
        "d": [Reason(4, "query", "q")],
        "e": [Reason(1, "category", "cs.LG")],
    }
    published = {"a": day, "b": day, "c": day - timedelta(days=1), "d": day, "e": None}
    ranked = rank_matches(matches, published, exclude={"e"})
    assert [(i.paper_id, i.score) for i in ranked] == [("b", 4.0), ("d", 2.0), ("c", 2.0), ("a", 1.0)]
    assert len(ranked[0].reasons) == 2  # one reason per follow
