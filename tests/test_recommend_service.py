""" "For you" through the service, on the 300 real records and both backends: feedback moves the
ranking the expected way, exclusions exclude, a switched-off driver stops contributing, cold start
from follows, co-saves from another member, the cached model is retrained only when the member's
signals change, and the digest's entry points."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import numpy as np
import pytest

from paperfeed.accounts import ensure_user
from paperfeed.clock import FixedClock
from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput, NotFound, SignInRequired
from paperfeed.library import collections, feedback, follows
from paperfeed.library.signals import member_signals
from paperfeed.recommend import service
from paperfeed.recommend.daily_batch import recommendations_for_many
from paperfeed.search.tfidf_index import open_tfidf, tfidf_path
from paperfeed.store import User, Window

NOW = datetime(2026, 2, 21, 12, 0)
SINCE, UNTIL = datetime(2026, 2, 15), datetime(2026, 2, 22)
FAIRNESS = "2602.18201"  # SOMtime the World Ain't Fair (Joseph Bingham et al.)
RACING = "2602.18386"  # Learning to Tune Pure Pursuit in Autonomous Racing


@pytest.fixture(autouse=True)
def frozen_clock(clock: FixedClock) -> None:
    clock.set(NOW)


def member(app: Paperfeed, email: str = "reader@example.org") -> User:
    return ensure_user(app, email)


def ranks(app: Paperfeed, user: User, limit: int = 200) -> dict[str, int]:
    picks = service.rank(app, member_signals(app, user.id), SINCE, UNTIL, limit=limit, now=NOW)
    return {p.paper_id: i for i, p in enumerate(picks.items)}


def reasons(app: Paperfeed, user: User, limit: int = 200) -> dict[str, service.Pick]:
    picks = service.rank(app, member_signals(app, user.id), SINCE, UNTIL, limit=limit, now=NOW)
    return {p.paper_id: p for p in picks.items}


def nearest(app: Paperfeed, paper_id: str, among: list[str]) -> str:
    """The candidate most similar to ``paper_id`` by TF-IDF (from the features index)."""
    snapshot = open_tfidf(app.settings.index_dir)
    assert snapshot is not None
    found, rows = snapshot.rows([paper_id, *among])
    sims = np.asarray((rows[1:] @ rows[0].T).toarray()).ravel()
    return found[1:][int(np.argmax(sims))]


def test_saving_ranks_the_saved_papers_topic_first_with_reasons(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    collections.save(sample_app, user, FAIRNESS)
    page = service.for_you(sample_app, user, days=7, limit=10)
    assert page.positives == 1 and not page.cold_start and len(page.items) == 10
    assert FAIRNESS not in {i.paper.paper_id for i in page.items}  # saved: never pushed again
    top = page.items[0]
    assert top.reason.driver == "library" and top.reason.paper_id == FAIRNESS
    assert top.reason.text.startswith("like “SOMtime the World Ain$'$t Fair") and "“Saved”" in top.reason.text
    assert "fair" in (top.paper.title + top.paper.abstract).lower()
    library = next(d for d in page.drivers if d.name == "library")
    assert library.enabled and library.brought == 10


def test_more_like_this_pulls_neighbours_up_and_not_interested_pushes_them_down(
    sample_app: Paperfeed,
) -> None:
    user = member(sample_app)
    collections.save(sample_app, user, FAIRNESS)
    before = ranks(sample_app, user)
    listed = sorted(before, key=before.__getitem__)
    target = listed[len(listed) // 2]  # a paper in the middle of the list
    neighbour = nearest(sample_app, target, [p for p in listed if p != target])
    feedback.give_feedback(sample_app, user, target, "more")
    liked = ranks(sample_app, user)
    assert target not in liked  # a paper the member reacted to is not pushed again
    assert liked[neighbour] < before[neighbour]
    feedback.give_feedback(sample_app, user, target, "not_interested")
    disliked = ranks(sample_app, user)
    assert target not in disliked
    assert disliked.get(neighbour, len(disliked)) > before[neighbour]


def test_papers_shown_on_three_days_are_not_pushed_again_and_reloads_count_once(
    sample_app: Paperfeed,
) -> None:
    user = member(sample_app)
    collections.save(sample_app, user, FAIRNESS)
    first = service.for_you(sample_app, user, days=7, limit=5, now=NOW)
    shown = [i.paper.paper_id for i in first.items]
    service.for_you(sample_app, user, days=7, limit=5, now=NOW)  # a reload the same day
    seen = sample_app.store.signals.impressions_of(user.id)
    assert {pid: seen[pid].times_shown for pid in shown} == {pid: 1 for pid in shown}
    for day in (1, 2):  # the same papers shown on two more days
        feedback.record_impressions(sample_app, user.id, shown, now=NOW + timedelta(days=day))
    again = service.for_you(sample_app, user, days=7, limit=5, now=NOW + timedelta(days=2, hours=1))
    assert not {i.paper.paper_id for i in again.items} & set(shown)
    # not counting (the personal feed, the CLI) leaves impressions alone
    before = sample_app.store.signals.impressions_of(user.id)
    quiet = service.for_you(sample_app, user, days=7, limit=5, record=False, now=NOW + timedelta(days=3))
    assert quiet.items and sample_app.store.signals.impressions_of(user.id) == before


def test_switched_off_drivers_stop_contributing(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    collections.save(sample_app, user, FAIRNESS)
    reading = collections.create_collection(sample_app, user, "Racing")
    collections.save(sample_app, user, RACING, collection=reading.id)
    follows.add_follow(sample_app, user, "author", "Joseph Bingham")
    picks = reasons(sample_app, user)
    drivers = {p.reason.driver for p in picks.values()}
    assert {"library", "follows"} <= drivers
    assert any(p.reason.collection_id == reading.id for p in picks.values())

    service.set_driver(sample_app, user, f"collection:{reading.id}", False)
    picks = reasons(sample_app, user)
    assert not any(p.reason.collection_id == reading.id for p in picks.values())
    assert any(p.reason.driver == "library" for p in picks.values())  # "Saved" still drives

    service.set_driver(sample_app, user, "follows", False)
    assert not any(p.reason.driver == "follows" for p in reasons(sample_app, user).values())

    service.set_driver(sample_app, user, "library", False)
    assert reasons(sample_app, user) == {}  # nothing left speaks for any paper: nothing is listed

    service.reset(sample_app, user, ["drivers"])
    assert {"library", "follows"} <= {p.reason.driver for p in reasons(sample_app, user).values()}
    with pytest.raises(InvalidInput, match="unknown feed driver"):
        service.set_driver(sample_app, user, "astrology", False)
    with pytest.raises(InvalidInput):
        service.reset(sample_app, user, ["everything"])


def test_cold_start_from_follows_alone_and_from_seed_papers(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    empty = service.for_you(sample_app, user, days=7)
    assert empty.cold_start and empty.items == [] and empty.seeds == []
    follows.add_follow(sample_app, user, "author", "Joseph Bingham")
    page = service.for_you(sample_app, user, days=7)
    assert not page.cold_start and page.positives == 0 and len(page.items) == 3
    assert {i.reason.text for i in page.items} == {"by Joseph Bingham, whom you follow"}
    assert all("Joseph Bingham" in i.paper.authors for i in page.items)
    assert next(d for d in page.drivers if d.name == "follows").brought == 3
    seeded = service.for_you(sample_app, user, days=7, seed_query="autonomous racing")
    assert RACING in [p.paper_id for p in seeded.seeds]
    collections.save(sample_app, user, RACING)  # a seed saved from the search
    assert service.for_you(sample_app, user, days=7, seed_query="autonomous racing").positives == 1


def test_co_saves_bring_what_readers_with_the_same_papers_saved(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    other = member(sample_app, "colleague@example.org")
    collections.save(sample_app, user, RACING)
    listed = ranks(sample_app, user)
    unrelated = max(listed, key=listed.__getitem__)  # the racing reader's last pick
    collections.save(sample_app, other, RACING)
    collections.save(sample_app, other, unrelated)
    picks = reasons(sample_app, user)
    assert picks[unrelated].reason.driver == "co_saves"
    assert picks[unrelated].reason.text.startswith("readers of “Learning to Tune Pure Pursuit")
    service.set_driver(sample_app, user, "co_saves", False)
    assert (
        reasons(sample_app, user).get(unrelated) is None
        or reasons(sample_app, user)[unrelated].reason.driver != "co_saves"
    )


def test_the_model_is_cached_and_retrained_only_when_signals_change(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    collections.save(sample_app, user, FAIRNESS)
    signals = member_signals(sample_app, user.id)
    first = service.rank(sample_app, signals, SINCE, UNTIL, limit=5)
    assert first.retrained and sample_app.store.recommend.get_model(user.id) is not None
    again = service.rank(sample_app, member_signals(sample_app, user.id), SINCE, UNTIL, limit=5)
    assert not again.retrained and [p.paper_id for p in again.items] == [p.paper_id for p in first.items]
    collections.save(sample_app, user, RACING)
    changed = service.rank(sample_app, member_signals(sample_app, user.id), SINCE, UNTIL, limit=5)
    assert changed.retrained and changed.positives == 2
    stored = sample_app.store.recommend.get_model(user.id)
    assert stored is not None and stored.positives == 2


def test_without_features_the_follows_rank_and_a_notice_says_why(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    follows.add_follow(sample_app, user, "author", "Joseph Bingham")
    shutil.rmtree(tfidf_path(sample_app.settings.index_dir))
    page = service.for_you(sample_app, user, days=7)
    assert page.notices == [service.NOT_READY] and not page.features_ready
    assert len(page.items) == 3 and page.items[0].reason.driver == "follows"


def test_digest_entry_points_agree_and_check_their_input(sample_app: Paperfeed) -> None:
    reader = member(sample_app)
    follower = member(sample_app, "follower@example.org")
    idle = member(sample_app, "idle@example.org")
    collections.save(sample_app, reader, FAIRNESS)
    follows.add_follow(sample_app, follower, "category", "cs.RO")
    one = service.recommendations_for(sample_app, reader.id, SINCE, UNTIL, limit=5)
    assert len(one) == 5 and all(text.startswith("like") for _, text in one)
    many = recommendations_for_many(sample_app, [reader.id, follower.id, idle.id], SINCE, UNTIL, limit=5)
    assert many[reader.id] == one
    assert many[follower.id] and all(
        text == "new in cs.RO, which you follow" for _, text in many[follower.id]
    )
    assert many[idle.id] == []
    assert not sample_app.store.signals.impressions_of(reader.id)  # the digest records what it sends
    with pytest.raises(NotFound):
        service.recommendations_for(sample_app, 99999, SINCE, UNTIL)
    with pytest.raises(InvalidInput, match="ends"):
        service.recommendations_for(sample_app, reader.id, UNTIL, SINCE)
    with pytest.raises(SignInRequired):
        service.for_you(sample_app, None)
    with pytest.raises(InvalidInput, match="days"):
        service.for_you(sample_app, reader, days=0)


def test_batched_links_name_the_same_paper_as_strongest_link() -> None:
    from paperfeed.recommend.co_saves import SaveMatrix
    from paperfeed.recommend.ranking import CoSaves

    rng = np.random.default_rng(3)
    libraries = {str(m): rng.choice(40, int(rng.integers(1, 12)), replace=False).tolist() for m in range(30)}
    matrix = SaveMatrix(libraries, 40)
    columns = {f"p{i}": i for i in range(40)}
    for member in ("0", "7", "outsider"):
        positives = np.array(libraries.get(member, [1, 2, 3]), dtype=np.int64)
        shared = CoSaves(np.zeros(1, np.float32), matrix, columns, positives, member)
        ids = [f"p{i}" for i in positives]
        found = shared.links(ids, [f"p{c}" for c in range(40)])
        for c in range(40):
            expected = matrix.strongest_link(positives, c, member=member)
            assert found[f"p{c}"] == (None if expected is None else f"p{expected}"), (member, c)


def test_a_store_with_nothing_newer_ranks_the_days_up_to_its_newest_paper(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    collections.save(sample_app, user, FAIRNESS)
    later = service.for_you(sample_app, user, days=7, limit=10, now=NOW + timedelta(days=60))
    assert later.until.isoformat() == "2026-02-20" and (later.until - later.since).days == 6
    assert len(later.items) == 10 and any("newer than 2026-02-20" in n for n in later.notices)
    current = service.for_you(sample_app, user, days=7, limit=10, now=NOW, record=False)
    assert not any("newer than" in n for n in current.notices)


def test_a_followed_authors_new_papers_top_the_list_unless_dismissed(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    for paper in (RACING, FAIRNESS):  # a library about other things
        collections.save(sample_app, user, paper)
    follows.add_follow(sample_app, user, "author", "Joseph Bingham")
    page = service.for_you(sample_app, user, days=7, limit=10, record=False)
    theirs = [i for i in page.items if "Joseph Bingham" in i.paper.authors and i.paper.paper_id != FAIRNESS]
    # his three papers of the week, less the one saved (FAIRNESS is his too)
    assert len(theirs) == 2 and [i.reason.driver for i in page.items[:2]] == ["follows"] * 2
    assert {i.paper.paper_id for i in page.items[:2]} == {i.paper.paper_id for i in theirs}
    follows_view = next(d for d in page.drivers if d.name == "follows")
    library_view = next(d for d in page.drivers if d.name == "library")
    assert follows_view.brought == 2 and follows_view.share is not None and library_view.share is not None
    assert 0 < follows_view.share < 1 and 0 < library_view.share < 1
    assert follows_view.share + library_view.share <= 1 + 1e-6
    many = recommendations_for_many(sample_app, [user.id], SINCE, UNTIL, limit=10)[user.id]
    one = service.recommendations_for(sample_app, user.id, SINCE, UNTIL, limit=10)
    assert many == one and [text for _, text in many[:2]] == ["by Joseph Bingham, whom you follow"] * 2
    dismissed = theirs[0].paper.paper_id
    feedback.give_feedback(sample_app, user, dismissed, "not_interested")
    after = service.for_you(sample_app, user, days=7, limit=10, record=False)
    assert dismissed not in {i.paper.paper_id for i in after.items}
    assert after.items[0].reason.driver == "follows" and after.items[1].reason.driver != "follows"


def test_a_followed_category_breaks_ties_without_flooding(sample_app: Paperfeed) -> None:
    user = member(sample_app)
    collections.save(sample_app, user, FAIRNESS)
    before = [
        p.paper_id
        for p in service.rank(sample_app, member_signals(sample_app, user.id), SINCE, UNTIL, limit=10).items
    ]
    follows.add_follow(sample_app, user, "category", "cs.RO")
    after = service.rank(sample_app, member_signals(sample_app, user.id), SINCE, UNTIL, limit=10).items
    robotics = sample_app.store.papers.window_ids(
        Window(categories=("cs.RO",), since=SINCE, until=UNTIL), limit=500
    )
    assert len(robotics) > 10  # enough to flood the list, were a follow a flat boost
    assert len(set(before) & {p.paper_id for p in after}) >= 8  # the library still decides
