"""The store against real SQLite files: idempotence, versions, cross-lists, title merges, migrations."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from paperfeed.context import Paperfeed
from paperfeed.ids import title_id
from paperfeed.records import PaperRecord, Version, finalize
from paperfeed.store.database import SCHEMA_HEAD, Database
from paperfeed.store.schema import metadata, paper_aliases, paper_tombstones


def when(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 2, day, hour, 0, 0, tzinfo=UTC)


def record(paper_id: str = "2602.00001", version: int = 1, **fields: object) -> PaperRecord:
    base: dict[str, object] = {
        "paper_id": paper_id,
        "title": f"A paper, version {version}",
        "abstract": f"Abstract of version {version}.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.LG", "cs.AI"],
        "version": version,
        "versions": [Version(n, when(n)) for n in range(1, version + 1)],
    }
    base.update(fields)
    return finalize(PaperRecord(**base))  # type: ignore[arg-type]


def test_migrated_schema_matches_metadata(paperfeed_app: Paperfeed) -> None:
    with paperfeed_app.store.database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    database = paperfeed_app.store.database
    assert database.is_current()
    # What opening a store compares with, without Alembic, is the migration scripts' head: a new
    # migration updates SCHEMA_HEAD (or every store would be migrated again at each opening).
    assert SCHEMA_HEAD == database.head_revision() == database.current_revision()


def test_first_use_creates_schema_and_reopening_is_a_no_op(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'a' / 'store.sqlite3'}"
    first = Database(url)
    revision = first.current_revision()
    assert revision == first.head_revision()
    first.dispose()
    second = Database(url)
    assert second.current_revision() == revision
    with second.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    second.dispose()


def test_same_records_twice_changes_nothing(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store.papers
    records = [record(f"2602.0000{i}") for i in range(1, 6)]
    first = store.write_batch(records)
    seq = store.current_seq()
    second = store.write_batch([record(f"2602.0000{i}") for i in range(1, 6)])
    assert (first.added, first.updated, first.unchanged) == (5, 0, 0)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 5)
    assert store.current_seq() == seq  # nothing changed, so no index work is created


def test_newer_version_updates_and_extends_history(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store.papers
    store.write_batch([record(version=1)])
    result = store.write_batch([record(version=3, versions=[Version(3, when(9))])])
    assert result.updated == 1
    paper = store.get("2602.00001")
    assert paper is not None
    assert paper.title == "A paper, version 3"
    assert [v.number for v in paper.versions] == [1, 3]
    assert paper.published == when(1)  # v1's date stays the publication date
    assert paper.updated == when(9)


def test_older_version_never_overwrites_newer(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store.papers
    store.write_batch([record(version=2)])
    result = store.write_batch([record(version=1)])
    assert result.unchanged == 1
    paper = store.get("2602.00001")
    assert paper is not None and paper.title == "A paper, version 2" and paper.version == 2


def test_older_version_fills_a_missing_history_entry(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store.papers
    store.write_batch([record(version=2, versions=[Version(2, when(5))])])
    result = store.write_batch([record(version=1, versions=[Version(1, when(1))])])
    assert result.updated == 1
    paper = store.get("2602.00001")
    assert paper is not None
    assert paper.title == "A paper, version 2"
    assert [(v.number, v.submitted) for v in paper.versions] == [(1, when(1)), (2, when(5))]
    assert paper.published == when(1)


def test_versions_in_one_batch_in_any_order(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store.papers
    result = store.write_batch([record(version=2), record(version=1), record(version=2)])
    assert (result.added, result.updated, result.unchanged) == (1, 0, 2)
    paper = store.get("2602.00001")
    assert paper is not None and paper.version == 2


def test_cross_listed_paper_is_one_paper(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store.papers
    store.write_batch([record(categories=["cs.CL", "cs.LG", "stat.ML"])])
    assert store.count() == 1
    for category in ("cs.CL", "cs.LG", "stat.ML"):
        assert [p.paper_id for p in store.list_papers(category=category)] == ["2602.00001"]
    paper = store.get("2602.00001")
    assert paper is not None and paper.primary_category == "cs.CL"


def test_title_only_paper_is_absorbed_by_its_arxiv_record(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store.papers
    hf = finalize(PaperRecord(paper_id="", title="Attention Is All You Need!", abstract="From a saved page."))
    store.write_batch([hf])
    assert hf.paper_id == title_id("attention is all you need")
    arxiv = record("1706.03762", title="Attention is all you need", abstract="The dominant sequence models…")
    result = store.write_batch([arxiv])
    assert store.count() == 1
    assert result.removed_ids == [hf.paper_id]
    merged = store.get(hf.paper_id)  # the old id still resolves
    assert merged is not None and merged.paper_id == "1706.03762"
    assert merged.abstract == "The dominant sequence models…"
    with paperfeed_app.store.database.engine.connect() as conn:
        assert conn.execute(select(paper_aliases.c.paper_id)).scalar() == "1706.03762"
        assert conn.execute(select(paper_tombstones.c.paper_id)).scalar() == hf.paper_id
    # The saved page imported again lands on the arXiv record and changes nothing.
    again = store.write_batch(
        [
            finalize(
                PaperRecord(paper_id="", title="Attention Is All You Need!", abstract="From a saved page.")
            )
        ]
    )
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)
    assert store.count() == 1


def test_title_only_record_after_arxiv_record_joins_it(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store.papers
    store.write_batch([record("1706.03762", title="Attention is all you need")])
    result = store.write_batch([finalize(PaperRecord(paper_id="", title="Attention Is All You Need"))])
    assert (result.added, result.unchanged) == (0, 1)
    assert store.count() == 1


def test_title_only_abstract_fills_an_empty_arxiv_abstract(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store.papers
    store.write_batch([record("1706.03762", title="Attention is all you need", abstract="")])
    store.write_batch(
        [finalize(PaperRecord(paper_id="", title="Attention is all you need", abstract="Text."))]
    )
    paper = store.get("1706.03762")
    assert paper is not None and paper.abstract == "Text."


def test_change_feed_lists_changed_papers_once(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store.papers
    store.write_batch([record(f"2602.0000{i}") for i in range(1, 4)])
    mark = store.current_seq()
    store.write_batch([record("2602.00002", version=2), record("2602.00009")])
    changed = [p.paper_id for batch in store.iter_changed(mark, batch_size=1) for p in batch]
    assert changed == ["2602.00002", "2602.00009"]
    assert [p.paper_id for batch in store.iter_changed(0) for p in batch] == [
        "2602.00001",
        "2602.00003",
        "2602.00002",
        "2602.00009",
    ]


def test_checkpoints_commit_with_their_batch(paperfeed_app: Paperfeed) -> None:
    from paperfeed.records import Checkpoint

    store = paperfeed_app.store.papers
    store.write_batch([record()], [Checkpoint("oai:cs", "token-1")])
    assert store.get_checkpoint("oai:cs") == "token-1"
    store.write_batch([], [Checkpoint("oai:cs", None)])
    assert store.get_checkpoint("oai:cs") is None


def test_writers_racing_on_one_state_key_all_succeed(paperfeed_app: Paperfeed) -> None:
    """Instances starting together each record the service's address under one key: every write
    must succeed and one of them stay (a delete-then-insert lost the race on PostgreSQL)."""
    from paperfeed.records import Checkpoint

    store = paperfeed_app.store.papers
    writers = 6
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for round_ in range(15):
                barrier.wait(timeout=30)
                store.set_state("service.base_url", f"writer {n} round {round_}")
                store.write_batch([], [Checkpoint("oai:cs", f"writer {n} round {round_}")])
        except BaseException as error:  # collected and re-raised in the test's thread
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[0]
    assert store.get_state("service.base_url") in {f"writer {n} round 14" for n in range(writers)}
    assert store.get_checkpoint("oai:cs") in {f"writer {n} round 14" for n in range(writers)}


_names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1)
_dates = st.datetimes(
    min_value=datetime(1991, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))


@st.composite
def paper_records(draw: st.DrawFn) -> PaperRecord:
    number = draw(st.integers(min_value=1, max_value=99999))
    count = draw(st.integers(min_value=1, max_value=4))
    dates = sorted(draw(st.lists(_dates, min_size=count, max_size=count)))
    return finalize(
        PaperRecord(
            paper_id=f"2601.{number:05d}",
            title=draw(_names),
            abstract=draw(st.text(max_size=300)),
            authors=draw(st.lists(_names, max_size=5)),
            categories=draw(
                st.lists(
                    st.sampled_from(["cs.LG", "cs.AI", "cs.CL", "stat.ML", "hep-th"]), max_size=3, unique=True
                )
            ),
            version=count,
            versions=[Version(i + 1, d) for i, d in enumerate(dates)],
            doi=draw(st.none() | st.just("10.1000/xyz")),
            comment=draw(st.none() | _names),
            code_links=draw(st.lists(st.just("https://github.com/org/repo"), max_size=1)),
        )
    )


@pytest.fixture
def fresh_numbers() -> Iterator[int]:
    return itertools.count(1)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(paper=paper_records())
def test_record_store_record_round_trip(
    paperfeed_app: Paperfeed, fresh_numbers: Iterator[int], paper: PaperRecord
) -> None:
    """Every generated record comes back from the store as it went in, and writing it again changes
    nothing. One store for the whole run (a new one per example cost a migration or a database
    each, ~10 s a backend); each example's paper has a number of its own, so each write is new."""
    store = paperfeed_app.store.papers
    paper = replace(paper, paper_id=f"2601.{next(fresh_numbers):05d}")
    store.write_batch([paper])
    assert store.get(paper.paper_id) == paper
    assert store.write_batch([paper]).unchanged == 1


def test_absorbing_a_title_paper_moves_community_rows_without_duplicates(paperfeed_app: Paperfeed) -> None:
    from datetime import date

    store = paperfeed_app.store
    hf = finalize(PaperRecord(paper_id="", title="Attention is all you need"))
    store.papers.write_batch([hf, record("1706.03762", title="Something else entirely")])
    now = datetime(2026, 2, 1)
    first = store.accounts.ensure_user("u1@example.org", role=None, now=now)
    second = store.accounts.ensure_user("u2@example.org", role=None, now=now)
    for user, paper_id in ((first, hf.paper_id), (second, hf.paper_id), (second, "1706.03762")):
        store.votes.add(user.id, paper_id, now=now)
    store.featured.add(date(2026, 2, 1), hf.paper_id, source="curator", user_id=first.id, now=now)
    store.papers.write_batch([record("1706.03762", version=2, title="Attention Is All You Need")])
    assert store.votes.counts([hf.paper_id, "1706.03762"]) == {"1706.03762": 2}
    assert store.votes.voted_by(first.id, ["1706.03762"]) == {"1706.03762"}
    assert [e.paper_id for e in store.featured.for_day(date(2026, 2, 1))] == ["1706.03762"]


@settings(max_examples=100, deadline=None)
@given(paper=paper_records(), sqlite_dates=st.booleans())
def test_record_rows_record_round_trip(paper: PaperRecord, sqlite_dates: bool) -> None:
    from paperfeed.store.rows import from_rows, to_rows

    assert from_rows(to_rows(paper, sqlite_dates=sqlite_dates)) == paper
