"""The one-row-per-paper layout (migration 0006): look-ups follow writes, windows read them, old
stores convert in place. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from paperfeed.context import Paperfeed
from paperfeed.ids import title_id
from paperfeed.records import PaperRecord, Version, finalize
from paperfeed.store.database import Database
from paperfeed.store.papers import PaperStore, Window
from paperfeed.store.rows import key_hash


def day(d: int) -> datetime:
    return datetime(2026, 3, d, 9, 30, tzinfo=UTC)


def paper(pid: str, d: int, authors: list[str], categories: list[str], version: int = 1) -> PaperRecord:
    return finalize(
        PaperRecord(
            paper_id=pid,
            title=f"Paper {pid} v{version}",
            abstract=f"About {pid}.",
            authors=authors,
            categories=categories,
            version=version,
            versions=[Version(n, day(d + n - 1)) for n in range(1, version + 1)],
            code_links=[f"https://github.com/x/{pid}"],
        )
    )


def lookups(app: Paperfeed) -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
    with app.store.database.engine.connect() as conn:
        authors = {tuple(r) for r in conn.execute(text("SELECT author_key, paper_id FROM paper_authors"))}
        cats = {tuple(r) for r in conn.execute(text("SELECT category, paper_id FROM paper_categories"))}
    return authors, cats


def test_lookups_follow_updates_and_merges(paperfeed_app: Paperfeed) -> None:
    papers = paperfeed_app.store.papers
    papers.write_batch([paper("2603.00001", 1, ["Ada", "Alan"], ["cs.LG", "cs.AI"])])
    authors, cats = lookups(paperfeed_app)
    assert authors == {(key_hash("Ada"), "2603.00001"), (key_hash("Alan"), "2603.00001")}
    assert cats == {("cs.LG", "2603.00001"), ("cs.AI", "2603.00001")}
    # v2 changes the author list and the categories: the old look-up rows go, the new ones come.
    papers.write_batch([paper("2603.00001", 1, ["Ada", "Grace"], ["cs.CL"], version=2)])
    authors, cats = lookups(paperfeed_app)
    assert authors == {(key_hash("Ada"), "2603.00001"), (key_hash("Grace"), "2603.00001")}
    assert cats == {("cs.CL", "2603.00001")}
    assert papers.list_papers(author="Alan") == []
    assert [p.paper_id for p in papers.list_papers(author="Grace")] == ["2603.00001"]
    # A title-only paper is listed under its author until its arXiv record absorbs it.
    title = finalize(PaperRecord(paper_id=title_id("Only a title"), title="Only a title", authors=["Kurt"]))
    papers.write_batch([title])
    assert [p.paper_id for p in papers.list_papers(author="Kurt")] == [title.paper_id]
    papers.write_batch([paper("2603.00002", 3, ["Kurt"], ["cs.LO"])])
    absorbed = finalize(
        PaperRecord(paper_id="2603.00003", title="Only a title", authors=["Kurt"], categories=["cs.LO"])
    )
    papers.write_batch([absorbed])
    assert papers.resolve_id(title.paper_id) == "2603.00003"
    assert {p.paper_id for p in papers.list_papers(author="Kurt")} == {"2603.00002", "2603.00003"}


def test_windows_by_category_author_and_day(paperfeed_app: Paperfeed) -> None:
    papers = paperfeed_app.store.papers
    papers.write_batch(
        [
            paper("2603.00010", 1, ["Ada"], ["cs.LG"]),
            paper("2603.00011", 2, ["Ada", "Bo"], ["cs.LG", "stat.ML"]),
            paper("2603.00012", 3, ["Bo"], ["stat.ML"]),
            paper("2603.00013", 3, ["Cy"], ["math.OC"]),
        ]
    )
    both = Window(categories=("cs.LG", "stat.ML"))
    assert papers.window_ids(both, limit=10) == ["2603.00012", "2603.00011", "2603.00010"]  # no duplicate
    assert papers.window_count(both) == 3
    assert papers.window_ids(both, limit=1, offset=1) == ["2603.00011"]
    assert papers.window_ids(both, limit=10, newest_first=False)[0] == "2603.00010"
    assert papers.window_edge(both, newest=True) == datetime(2026, 3, 3, 9, 30)
    assert papers.window_edge(both, newest=False) == datetime(2026, 3, 1, 9, 30)
    on_2nd = Window(categories=("cs.LG", "stat.ML"), since=datetime(2026, 3, 2), until=datetime(2026, 3, 3))
    assert papers.window_ids(on_2nd, limit=10) == ["2603.00011"]
    assert papers.window_ids(Window(author="Bo"), limit=10) == ["2603.00012", "2603.00011"]
    assert papers.window_ids(Window(author="Bo", categories=("cs.LG",)), limit=10) == ["2603.00011"]
    assert papers.window_ids(Window(author="Nobody"), limit=10) == []
    assert papers.window_edge(Window(categories=("q-bio.NC",)), newest=True) is None
    assert papers.window_ids(Window(categories=("stat.ML",), terms=("2603.00012",)), limit=5) == [
        "2603.00012"
    ]


def test_author_names_with_quotes_and_wildcards_match_exactly(paperfeed_app: Paperfeed) -> None:
    papers = paperfeed_app.store.papers
    odd = 'A "quoted" 100%_name\\'
    papers.write_batch([paper("2603.00020", 1, [odd], ["cs.LG"]), paper("2603.00021", 1, ["A"], ["cs.LG"])])
    assert [p.paper_id for p in papers.list_papers(author=odd)] == ["2603.00020"]
    assert [p.authors for p in papers.list_papers(author=odd)] == [[odd]]


def test_an_old_store_converts_in_place(tmp_path) -> None:
    """A store at 0003 (child tables) upgrades to the JSON layout with every list and look-up intact."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    old = Database(url, upgrade=False)
    old.upgrade("0003_instances")
    with old.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO papers (id, id_kind, title, title_key, abstract, primary_category, "
                "latest_version, published_at, updated_at, source, content_hash, change_seq, first_seen_at) "
                "VALUES ('2401.00001', 'arxiv', 'Old Paper', 'old paper', 'Text.', 'cs.LG', 2, "
                "'2024-01-01 10:00:00.000000', '2024-01-05 10:00:00.000000', 'kaggle', 'h', 1, "
                "'2024-01-06 00:00:00.000000')"
            )
        )
        conn.execute(
            text("INSERT INTO paper_authors VALUES ('2401.00001', 0, 'Ada'), ('2401.00001', 1, 'Bo')")
        )
        conn.execute(
            text("INSERT INTO paper_categories VALUES ('2401.00001', 0, 'cs.LG'), ('2401.00001', 1, 'cs.AI')")
        )
        conn.execute(
            text(
                "INSERT INTO paper_versions VALUES ('2401.00001', 1, '2024-01-01 10:00:00.000000'), "
                "('2401.00001', 2, '2024-01-05 10:00:00.000000')"
            )
        )
        conn.execute(text("INSERT INTO paper_links VALUES ('2401.00001', 0, 'https://github.com/a/b')"))
    old.dispose()
    database = Database(url)
    assert database.is_current()
    store = PaperStore(database)
    got = store.get("2401.00001")
    assert got is not None
    assert got.authors == ["Ada", "Bo"] and got.categories == ["cs.LG", "cs.AI"]
    assert got.versions == [
        Version(1, datetime(2024, 1, 1, 10, tzinfo=UTC)),
        Version(2, datetime(2024, 1, 5, 10, tzinfo=UTC)),
    ]
    assert got.code_links == ["https://github.com/a/b"]
    assert [p.paper_id for p in store.list_papers(author="Bo")] == ["2401.00001"]
    assert [p.paper_id for p in store.list_papers(category="cs.AI")] == ["2401.00001"]
    # Title matching still finds it through the new hash index.
    store.write_batch([finalize(PaperRecord(paper_id=title_id("Old Paper"), title="Old Paper"))])
    assert store.count() == 1
    database.dispose()
