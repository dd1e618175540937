"""Importing Zotero-style exports into a member's library, and exporting it back, on both backends.

The store holds the 300 real sample records plus the Kaggle snapshot's first 200 (one of which is
the DOI-only entry's paper); arXiv is faked at the HTTP transport with its recorded answer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from paperfeed.accounts import ensure_user
from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput, UpstreamUnavailable
from paperfeed.library import collections
from paperfeed.library.annotations import annotate
from paperfeed.library.exporters import export_collection, export_library
from paperfeed.library.importers import import_library
from paperfeed.records import PaperRecord, finalize
from paperfeed.store import User
from tests.conftest import FORMATS
from tests.web_support import recorded_ids_fetcher

LIBRARY = Path(__file__).parent / "data" / "library"


@pytest.fixture
def store_app(sample_app: Paperfeed) -> Paperfeed:
    from paperfeed.ingest.jobs import ingest_file

    ingest_file(sample_app, FORMATS / "kaggle_snapshot" / "arxiv-metadata-oai-snapshot.first200.jsonl")
    return sample_app


def member(app: Paperfeed, email: str = "reader@example.org") -> User:
    return ensure_user(app, email)


def run(app: Paperfeed, user: User, name: str, **kwargs: object):  # type: ignore[no-untyped-def]
    kwargs.setdefault("fetch", recorded_ids_fetcher)
    return import_library(app, user, (LIBRARY / name).read_bytes(), filename=name, **kwargs)  # type: ignore[arg-type]


def test_zotero_bibtex_import_matches_fetches_and_reports(store_app: Paperfeed) -> None:
    user = member(store_app)
    assert store_app.store.papers.get("1707.08567") is None
    report = run(store_app, user, "zotero.bib")
    assert report.format == "bibtex" and report.entries == 12
    assert report.collection is not None and report.collection.name == "zotero"
    how = {m.paper_id: m.how for m in report.matched}
    assert how == {
        "2602.18319": "arxiv",
        "2602.18201": "arxiv",
        "2602.17902": "title",  # no id in the entry: its normalised title, accents and braces aside
        "2602.16301": "arxiv",  # the entry with a repeated citation key
        "0704.0001": "doi",
        "2602.18409": "arxiv",  # only arXiv's DOI
        "1707.08567": "arxiv",
        "2602.17598": "title",  # a title-only entry with math in the title
    }
    fetched = [m.paper_id for m in report.matched if m.fetched]
    assert fetched == ["1707.08567"] and store_app.store.papers.get("1707.08567") is not None
    unmatched = {u.title[:30]: u.reason for u in report.unmatched}
    assert unmatched == {
        "An entry whose arXiv id arXiv ": "arXiv has no paper 0808.05394",
        "An Explainable Multi-Task Simi": "not in the store, and the entry has no arXiv id to fetch it by",
    }
    assert [p.reason for p in report.problems] == ["missing title"]
    assert len(report.duplicates) == 1 and "kim2026robo" in report.duplicates[0]
    assert report.added == 8 and report.collection.size == 8
    # Tags of both entries of the same paper, Zotero's note, the biblatex entry's note and read mark.
    notes = store_app.store.library.annotations(user.id, ["2602.18319", "2602.18201"])
    assert notes["2602.18319"].tags == sorted(
        ["Computer Science - Artificial Intelligence", "Computer Science - Graphics", "VR", "games"]
    )
    assert notes["2602.18319"].note is not None and notes["2602.18319"].note.startswith("Comment: 13 pages")
    assert notes["2602.18201"].read and "fairness" in notes["2602.18201"].tags


def test_importing_the_same_file_again_changes_nothing(store_app: Paperfeed) -> None:
    user = member(store_app)
    first = run(store_app, user, "zotero.bib")
    before = store_app.store.library.annotations(user.id, [m.paper_id for m in first.matched])
    again = run(store_app, user, "zotero.bib")
    assert again.added == 0 and len(again.matched) == len(first.matched)
    assert not any(m.fetched for m in again.matched)  # 1707.08567 is in the store now
    assert store_app.store.library.annotations(user.id, [m.paper_id for m in first.matched]) == before


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "zotero.json",
            {"2602.18319", "2602.18201", "2602.17902", "2602.16301", "0704.0001", "1707.08567"},
        ),
        ("zotero.ris", {"2602.18319", "2602.18201", "2602.17902", "0704.0001", "1707.08567"}),
    ],
)
def test_zotero_csl_json_and_ris_imports(store_app: Paperfeed, name: str, expected: set[str]) -> None:
    user = member(store_app)
    report = run(store_app, user, name, collection="From Zotero")
    assert report.collection is not None and report.collection.name == "From Zotero"
    assert {m.paper_id for m in report.matched} == expected
    assert [u.title[:14] for u in report.unmatched] == ["An Explainable"]
    assert len(report.problems) == (2 if name.endswith("json") else 1)
    robo = store_app.store.library.annotations(user.id, ["2602.18319"])["2602.18319"]
    assert robo.tags == ["Computer Science - Graphics", "VR"]
    assert robo.note is not None and "arXiv:" not in robo.note  # Zotero's Extra line is not a note


def test_without_fetching_or_with_arxiv_down_missing_papers_are_reported(store_app: Paperfeed) -> None:
    user = member(store_app)
    off = run(store_app, user, "zotero.bib", fetch=None)
    assert {u.arxiv_id: u.reason for u in off.unmatched if u.arxiv_id} == {
        "1707.08567": "not in the store (fetching from arXiv was off)",
        "0808.05394": "not in the store (fetching from arXiv was off)",
    }

    def down(app: Paperfeed, ids: list[str]) -> None:
        raise UpstreamUnavailable("arXiv answered 503 three times")

    report = run(store_app, user, "zotero.bib", fetch=down)
    assert any("arXiv could not be reached" in n for n in report.notices)
    assert {u.arxiv_id for u in report.unmatched if "could not be reached" in u.reason} == {
        "1707.08567",
        "0808.05394",
    }
    assert len(report.matched) == 7  # everything else still went in
    limited = run(store_app, member(store_app, "other@example.org"), "zotero.bib", fetch_limit=1)
    reason = next(u.reason for u in limited.unmatched if u.arxiv_id == "0808.05394")
    assert reason.startswith("not fetched: at most 1")


def test_title_matching_needs_one_paper_or_the_year(paperfeed_app: Paperfeed) -> None:
    from datetime import UTC, datetime

    twins = [
        finalize(
            PaperRecord(
                paper_id=pid,
                title="Deep residual learning revisited",
                published=datetime(year, 5, 1, tzinfo=UTC),
            )
        )
        for pid, year in (("2401.00001", 2024), ("2501.00001", 2025))
    ]
    intro = finalize(
        PaperRecord(paper_id="2401.00002", title="Introduction", published=datetime(2024, 1, 2, tzinfo=UTC))
    )
    dashes = finalize(PaperRecord(paper_id="2401.00003", title="A Sovereign Edge--Local--Cloud AI System"))
    paperfeed_app.store.papers.write_batch([*twins, intro, dashes])
    user = member(paperfeed_app)
    bib = (
        "@misc{a, title = {Deep Residual Learning Revisited}}\n"
        "@misc{b, title = {Deep residual learning revisited}, year = {2025}}\n"
        "@misc{c, title = {Introduction}}\n"
        "@misc{d, title = {Introduction}, year = {2024}}\n"
        "@misc{e, title = {A Sovereign {Edge}--{Local}--{Cloud} {AI} System}}\n"  # read as en dashes
    )
    report = import_library(paperfeed_app, user, bib, fmt="bibtex", fetch=None)
    assert [(m.where, m.paper_id) for m in report.matched] == [
        ("line 2 (b)", "2501.00001"),
        ("line 4 (d)", "2401.00002"),
        ("line 5 (e)", "2401.00003"),
    ]
    reasons = {u.where: u.reason for u in report.unmatched}
    assert reasons["line 1 (a)"].startswith("2 stored papers have this title (2401.00001, 2501.00001)")
    assert reasons["line 3 (c)"] == "the title is too short to match without the same year"
    assert len(reasons) == 2


def test_bad_files_are_refused_with_a_reason(paperfeed_app: Paperfeed) -> None:
    user = member(paperfeed_app)
    with pytest.raises(InvalidInput, match="no entries found"):
        import_library(paperfeed_app, user, b"@comment{nothing here}", filename="x.bib")
    with pytest.raises(InvalidInput, match="not a CSL JSON file"):
        import_library(paperfeed_app, user, b'[{"title": "x"', filename="x.json")
    with pytest.raises(InvalidInput, match="larger than"):
        import_library(paperfeed_app, user, b"@misc{a, title={x}}" * 100, filename="x.bib", max_bytes=100)
    report = import_library(paperfeed_app, user, b"@misc{a, author={Nobody}}", filename="x.bib")
    assert report.matched == [] and report.collection is None and len(report.problems) == 1


@pytest.mark.parametrize("fmt", ["bibtex", "csl-json", "ris"])
def test_export_then_import_into_another_library_keeps_papers_tags_and_notes(
    sample_app: Paperfeed, fmt: str
) -> None:
    owner, reader = member(sample_app), member(sample_app, "second@example.org")
    group = collections.create_collection(sample_app, owner, "Reading group")
    for paper in ("2602.18319", "2602.18201", "2602.17598"):
        collections.save(sample_app, owner, paper, collection=group.id)
    annotate(
        sample_app,
        owner,
        "2602.18319",
        note='Line one -- "quoted"\n\n50% {braces} & $math$',
        tags=["vr", "Ünïcode tag"],
        read=True,
    )
    annotate(sample_app, owner, "2602.18201", tags=["fairness"])
    exported = export_library(sample_app, owner, collection_name="Reading group", fmt=fmt)
    assert exported.count == 3 and exported.filename.startswith("reading-group.")
    report = import_library(
        sample_app, reader, exported.text.encode(), filename=exported.filename, fetch=None
    )
    assert {m.paper_id for m in report.matched} == {"2602.18319", "2602.18201", "2602.17598"}
    assert all(m.how == "arxiv" for m in report.matched) and report.unmatched == [] and report.problems == []
    mine = sample_app.store.library.annotations(owner.id, ["2602.18319", "2602.18201"])
    theirs = sample_app.store.library.annotations(reader.id, ["2602.18319", "2602.18201"])
    for pid in ("2602.18319", "2602.18201"):
        assert (theirs[pid].note, theirs[pid].tags) == (mine[pid].note, mine[pid].tags)
    assert theirs["2602.18319"].read is (fmt == "bibtex")


def test_public_export_has_papers_but_not_the_owners_notes(sample_app: Paperfeed) -> None:
    owner, other = member(sample_app), member(sample_app, "other@example.org")
    group = collections.create_collection(sample_app, owner, "Public list", visibility="public")
    collections.save(sample_app, owner, "2602.18201", collection=group.id)
    annotate(sample_app, owner, "2602.18201", note="a private remark", tags=["secret-tag"])
    mine = export_collection(sample_app, owner, group.id, fmt="bibtex").text
    theirs = export_collection(sample_app, other, group.id, fmt="bibtex").text
    assert "a private remark" in mine and "secret-tag" in mine
    assert "2602.18201" in theirs and "a private remark" not in theirs and "secret-tag" not in theirs
