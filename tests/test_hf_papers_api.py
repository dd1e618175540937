"""The real ``huggingface_hub`` client against a real paperfeed server on loopback.

``HfApi(endpoint=…)`` calls ``list_daily_papers``, ``list_papers``, ``paper_info`` and ``read_paper``
over HTTP (uvicorn in a thread, the 300-record sample plus members, featured entries and votes
written through the store's interfaces). Every field the client parses is compared with the store,
list membership and order are recomputed here from the records and votes (not through the code
under test), and any attempt of the client to resolve a host other than loopback fails the test.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import huggingface_hub as hf
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import BadRequestError, HfHubHTTPError
from markdown_it import MarkdownIt

from paperfeed.accounts import ensure_user, set_handle
from paperfeed.context import Paperfeed
from paperfeed.records import PaperRecord, finalize
from paperfeed.store import User
from tests.test_web_api_auth import free_port
from tests.web_support import serving, web_app

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
WEEK = (date(2026, 2, 16), date(2026, 2, 22))  # 2026-W08: the sample's three days are in it


def ms(value: datetime) -> datetime:
    """A datetime as the API carries it: aware UTC, milliseconds."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.replace(microsecond=aware.microsecond // 1000 * 1000)


@dataclass
class Community:
    """What the fixture wrote besides the records, for the expectations."""

    ada: User
    bob: User
    quiet: User  # no handle
    curator: User
    featured: dict[str, tuple[date, datetime, int]]  # paper id -> (day, created, user id)
    hidden: str
    code_paper: str
    january: str


@pytest.fixture
def no_outside_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Refuse (and record) every name lookup that is not loopback: the client must reach nothing else."""
    attempts: list[str] = []
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in LOOPBACK:
            attempts.append(name)
            raise OSError(f"test: no network outside loopback ({name})")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    return attempts


def _add_community(app: Paperfeed) -> Community:
    store = app.store
    ada = set_handle(app, ensure_user(app, "ada@example.org"), "ada")
    bob = set_handle(app, ensure_user(app, "bob@example.org"), "bob")
    quiet = ensure_user(app, "quiet@example.org")
    curator = set_handle(app, ensure_user(app, "cura@example.org", role="curator"), "cura")
    by_day: dict[date, list[PaperRecord]] = {}
    papers = store.papers.list_papers(limit=1000)
    for paper in papers:
        assert paper.published is not None
        by_day.setdefault(paper.published.date(), []).append(paper)
    d18, d19, d20 = (by_day[date(2026, 2, day)] for day in (18, 19, 20))
    code_paper = next(p for p in papers if any("github.com/" in u for u in p.code_links))
    featured: dict[str, tuple[date, datetime, int]] = {}

    def feature(day: date, paper_id: str, user: User, created: datetime, source: str = "submission") -> None:
        store.featured.add(day, paper_id, source=source, user_id=user.id, now=created)
        featured[paper_id] = (day, created, user.id)

    # Featured on a later day than the paper's own; by a member with no handle; a curator's pick
    # made days after the day it is on; a paper with a code link; one in January.
    feature(date(2026, 2, 20), d18[0].paper_id, ada, datetime(2026, 2, 20, 9, 30, 12, 345678))
    feature(date(2026, 2, 19), d19[0].paper_id, quiet, datetime(2026, 2, 19, 10, 0))
    feature(date(2026, 2, 18), d18[1].paper_id, curator, datetime(2026, 2, 21, 8, 0), source="curator")
    feature(date(2026, 2, 20), code_paper.paper_id, bob, datetime(2026, 2, 20, 11, 0))
    january = d20[-1].paper_id
    feature(date(2026, 1, 15), january, ada, datetime(2026, 1, 15, 16, 0))
    hidden = d19[1].paper_id
    store.featured.add(
        date(2026, 2, 19), hidden, source="submission", user_id=bob.id, now=datetime(2026, 2, 19)
    )
    store.featured.set_hidden(
        date(2026, 2, 19), hidden, hidden=True, user_id=curator.id, now=datetime(2026, 2, 19)
    )

    # Votes: inside the week at different ages, and outside it (they count in totals only).
    voters = [ensure_user(app, f"voter{n}@example.org") for n in range(6)]
    plan = [
        (d20[3].paper_id, [datetime(2026, 2, 22, 20)] * 2),  # two late, fresh votes
        (d18[0].paper_id, [datetime(2026, 2, 18, 8)] * 3),  # three old votes: 3/2^(4.67) ≈ 0.12
        (d19[2].paper_id, [datetime(2026, 2, 21, 12)] * 1 + [datetime(2026, 3, 2, 12)] * 4),
        (code_paper.paper_id, [datetime(2026, 2, 20, 12)]),
        (january, [datetime(2026, 1, 15, 18), datetime(2026, 2, 20, 12)]),
    ]
    for paper_id, moments in plan:
        for voter, moment in zip(voters, moments, strict=False):
            store.votes.add(voter.id, paper_id, now=moment)
    return Community(ada, bob, quiet, curator, featured, hidden, code_paper.paper_id, january)


@pytest.fixture
def community(sample_app: Paperfeed) -> Community:
    return _add_community(sample_app)


@pytest.fixture
def server(sample_app: Paperfeed, community: Community) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sample_app.settings.base_url = base
    with serving(web_app(sample_app, indexer=False), port) as url:
        assert url == base
        yield base


@pytest.fixture
def api(
    server: str, no_outside_network: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> Iterator[HfApi]:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    # What HF_HUB_DISABLE_TELEMETRY=1 sets when the client is imported (docs/web.md): without it,
    # the client fetches an "agent harnesses" list from huggingface.co to fill its User-Agent.
    monkeypatch.setattr(hf.constants, "HF_HUB_DISABLE_TELEMETRY", True)
    yield HfApi(endpoint=server, token=False)
    assert no_outside_network == [], f"the client tried to reach {no_outside_network}"


# ------------------------------------------------------------------------------ expectations
def github_repo(paper: PaperRecord) -> str | None:
    for url in paper.code_links:
        match = re.match(r"https?://(?:www\.)?github\.com/([^/\s]+)/([^/\s#?]+)", url)
        if match:
            return f"https://github.com/{match[1]}/{match[2].removesuffix('.git')}"
    return None


def listed_at(
    app: Paperfeed, community: Community, paper_id: str, first: date = date.min, last: date = date.max
) -> datetime:
    """When the paper joined the list of ``first`` … ``last``: its featuring there, else its v1."""
    if paper_id in community.featured and first <= community.featured[paper_id][0] <= last:
        day, created, _ = community.featured[paper_id]
        return created if created.date() == day else datetime.combine(day, datetime.min.time())
    paper = app.store.papers.get(paper_id)
    assert paper is not None and paper.published is not None
    return paper.published.replace(tzinfo=None)


def expected_ids(app: Paperfeed, community: Community, first: date, last: date) -> set[str]:
    """Featured (visible) on a day of the range, or first published in it in a followed category."""
    followed = set(app.settings.categories)
    ids = {
        p.paper_id
        for p in app.store.papers.list_papers(limit=1000)
        if p.published and first <= p.published.date() <= last and followed & set(p.categories)
    }
    ids |= {pid for pid, (day, _, _) in community.featured.items() if first <= day <= last}
    return ids


def handle_of(community: Community, user_id: int) -> str | None:
    users = (community.ada, community.bob, community.quiet, community.curator)
    return next((u.handle for u in users if u.id == user_id), None)


def check_against_store(
    app: Paperfeed, community: Community, info: Any, *, period: tuple[date, date] | None = None
) -> None:
    """Every field ``PaperInfo`` parses, compared with the store (and with None where absent);
    ``period`` for entries of a period's list, ``None`` for a paper looked up or searched."""
    paper = app.store.papers.get(info.id)
    assert paper is not None, info.id
    assert info.title == paper.title
    assert info.summary == paper.abstract
    assert [a.name for a in info.authors] == paper.authors
    assert all(a.user is None and a.status is None and a.hidden is None for a in info.authors)
    assert paper.published is not None and info.published_at == ms(paper.published)
    assert info.upvotes == app.store.votes.counts([paper.paper_id]).get(paper.paper_id, 0)
    assert info.github_repo == github_repo(paper)
    assert info.comments == 0  # the client's default: paperfeed has no comments and sends none
    for absent in (
        "discussion_id",
        "ai_summary",
        "ai_keywords",
        "organization",
        "project_page",
        "github_stars",
        "linked_models",
        "linked_datasets",
        "linked_spaces",
        "source",
    ):
        assert getattr(info, absent) is None, absent
    featured = community.featured.get(paper.paper_id)
    if period is not None:
        assert info.submitted_at == ms(listed_at(app, community, paper.paper_id, *period))
        if featured is not None and not period[0] <= featured[0] <= period[1]:
            featured = None  # featured on another day: a new paper in this period
    elif featured is not None:
        assert info.submitted_at == ms(listed_at(app, community, paper.paper_id))
    else:
        assert info.submitted_at is None
    handle = handle_of(community, featured[2]) if featured else None
    if handle is None:
        assert info.submitted_by is None
    else:
        assert info.submitted_by.username == handle and info.submitted_by.fullname == handle
        assert info.submitted_by.avatar_url == ""


def all_pages(api: HfApi, limit: int = 40, **params: Any) -> list[Any]:
    found: list[Any] = []
    for page in range(100):
        batch = list(api.list_daily_papers(p=page, limit=limit, **params))
        found += batch
        if len(batch) < limit:
            return found
    raise AssertionError("paging never ended")


def curated_ids(community: Community, ids: set[str], first: date, last: date) -> set[str]:
    """The papers of ``ids`` featured (visibly) on a day of the range: the period's curation."""
    return {pid for pid in ids if pid in community.featured and first <= community.featured[pid][0] <= last}


def time_order(app: Paperfeed, community: Community, ids: set[str], first: date, last: date) -> list[str]:
    """The documented publishedAt order: the curated entries newest first, then the others."""
    curated = curated_ids(community, ids, first, last)

    def by_time(part: set[str]) -> list[str]:
        return sorted(part, key=lambda pid: (listed_at(app, community, pid, first, last), pid), reverse=True)

    return by_time(curated) + by_time(ids - curated)


def trending_order(app: Paperfeed, community: Community, ids: set[str], first: date, last: date) -> list[str]:
    """The documented rule, recomputed: the curated entries, then the others, each part by
    Σ 2^(−age/24h) over the votes cast in the period, at its end."""
    end = datetime.combine(last + timedelta(days=1), datetime.min.time())
    since = datetime.combine(first, datetime.min.time())
    votes = app.store.votes.times_since(since, until=end)
    score = {
        pid: sum(2 ** (-(end - t).total_seconds() / 3600 / 24) for t in votes.get(pid, [])) for pid in ids
    }
    curated = curated_ids(community, ids, first, last)
    by_time = sorted(ids, key=lambda pid: (listed_at(app, community, pid, first, last), pid), reverse=True)
    return sorted(
        by_time, key=lambda pid: (pid not in curated, -round(score[pid], 12), -len(votes.get(pid, [])))
    )


# ------------------------------------------------------------------------------ tests
def test_a_day_by_date_has_its_papers_with_every_field_from_the_store(
    api: HfApi, sample_app: Paperfeed, community: Community
) -> None:
    infos = list(api.list_daily_papers(date="2026-02-20", limit=100))
    want = expected_ids(sample_app, community, date(2026, 2, 20), date(2026, 2, 20))
    assert {i.id for i in infos} == want and len(infos) == len(want)
    assert community.code_paper in want and community.hidden not in want
    for info in infos:
        check_against_store(sample_app, community, info, period=(date(2026, 2, 20), date(2026, 2, 20)))
    # publishedAt order: the curated entries first (newest listing first), then the other new papers
    day = (date(2026, 2, 20), date(2026, 2, 20))
    assert [i.id for i in infos] == time_order(sample_app, community, want, *day)
    curated = curated_ids(community, want, *day)
    assert curated and {i.id for i in infos[: len(curated)]} == curated
    by_id = {i.id: i for i in infos}
    assert (
        by_id[community.code_paper].github_repo and by_id[community.code_paper].submitted_by.username == "bob"
    )
    # the default limit is 50 and the default day the latest
    assert len(list(api.list_daily_papers(date="2026-02-20"))) == min(50, len(want))
    assert [i.id for i in api.list_daily_papers()] == [i.id for i in infos][:50]


def test_weeks_and_months_page_through_everything_once(
    api: HfApi, sample_app: Paperfeed, community: Community
) -> None:
    week = all_pages(api, week="2026-W08", limit=40)
    want = expected_ids(sample_app, community, *WEEK)
    assert [i.id for i in week] and len(week) == len(want) and {i.id for i in week} == want
    for info in week:
        check_against_store(sample_app, community, info, period=WEEK)
    assert all(WEEK[0] <= i.submitted_at.date() <= WEEK[1] for i in week)
    month = all_pages(api, month="2026-02", limit=100)
    assert {i.id for i in month} == expected_ids(sample_app, community, date(2026, 2, 1), date(2026, 2, 28))
    january = list(api.list_daily_papers(month="2026-01"))
    assert [i.id for i in january] == [community.january]
    check_against_store(sample_app, community, january[0], period=(date(2026, 1, 1), date(2026, 1, 31)))
    assert january[0].submitted_by.username == "ada"
    # pages are disjoint slices of one order; past the end is empty
    ten = [i.id for i in api.list_daily_papers(week="2026-W08", limit=10)]
    pages = [i.id for p in range(2) for i in api.list_daily_papers(week="2026-W08", p=p, limit=5)]
    assert pages == ten
    assert list(api.list_daily_papers(week="2026-W08", p=1000, limit=50)) == []
    assert list(api.list_daily_papers(week="2025-W08")) == []


def test_trending_ranks_by_the_votes_cast_inside_the_period(
    api: HfApi, sample_app: Paperfeed, community: Community
) -> None:
    week = all_pages(api, week="2026-W08", sort="trending", limit=100)
    ids = {i.id for i in week}
    assert [i.id for i in week] == trending_order(sample_app, community, ids, *WEEK)
    order = [i.id for i in week]
    curated = curated_ids(community, ids, *WEEK)
    assert set(order[: len(curated)]) == curated  # the week's curation first
    # among the curation, one vote two days before the end beats three votes five days before it
    assert order[0] == community.code_paper
    # then two fresh votes lead the rest; four votes cast in March do not count for the week
    paper_two_fresh = order[len(curated)]
    assert sample_app.store.votes.counts([paper_two_fresh])[paper_two_fresh] == 2
    assert week[len(curated)].upvotes == 2
    published = [i.id for i in all_pages(api, week="2026-W08", sort="publishedAt", limit=100)]
    assert published == time_order(sample_app, community, ids, *WEEK)
    assert sorted(published) == sorted(i.id for i in week) and published != [i.id for i in week]
    # small pages cut across the upvoted papers and the rest: the same order, each paper once
    for sort, whole in (("trending", [i.id for i in week]), ("publishedAt", published)):
        small = [
            i.id for n in range(20) for i in api.list_daily_papers(week="2026-W08", sort=sort, p=n, limit=3)
        ]
        assert small == whole[:60]
        assert [i.id for i in api.list_daily_papers(week="2026-W08", sort=sort, p=40, limit=7)] == whole[
            280:287
        ]
    assert [i.id for i in api.list_daily_papers(month="2026-01", sort="trending")] == [community.january]


def test_a_days_curation_comes_first_on_the_first_page(
    server: str, sample_app: Paperfeed, community: Community
) -> None:
    """The issue's case: a featured, upvoted paper that would sort last among a day's new papers
    is on the first page, ahead of every uncurated paper, whatever the sort; every entry says
    when it joined the list."""
    day = date(2026, 2, 19)
    new = sorted(
        (
            p
            for p in sample_app.store.papers.list_papers(limit=1000)
            if p.published and p.published.date() == day
        ),
        key=lambda p: (p.published, p.paper_id),
    )
    oldest = new[0].paper_id  # listed last among the day's new papers when not curated
    assert oldest not in community.featured
    member = ensure_user(sample_app, "reader@example.org")
    sample_app.store.featured.add(
        day, oldest, source="curator", user_id=community.curator.id, now=datetime(2026, 2, 19, 0, 0, 1)
    )
    sample_app.store.votes.add(member.id, oldest, now=datetime(2026, 2, 19, 12))
    for sort in ("publishedAt", "trending"):
        entries = httpx.get(
            f"{server}/api/daily_papers", params={"date": day.isoformat(), "sort": sort, "limit": 5}
        ).json()
        ids = [e["paper"]["id"] for e in entries]
        curated = {pid for pid, (d, _, _) in community.featured.items() if d == day} | {oldest}
        assert set(ids[: len(curated)]) == curated, (sort, ids)
        assert all("submittedOnDailyAt" in e["paper"] for e in entries)
    top = httpx.get(
        f"{server}/api/daily_papers", params={"date": day.isoformat(), "sort": "trending", "limit": 1}
    ).json()
    assert top[0]["paper"]["id"] == oldest and top[0]["upvotes"] == 1
    whole = httpx.get(f"{server}/api/daily_papers", params={"date": day.isoformat(), "limit": 100}).json()
    for entry in whole:
        assert entry["paper"]["submittedOnDailyAt"] == entry["publishedAt"]


def test_submitter_filter_uses_handles_and_never_shows_emails(
    api: HfApi, server: str, sample_app: Paperfeed, community: Community
) -> None:
    ada = {i.id for i in api.list_daily_papers(month="2026-02", submitter="ada")}
    assert ada == {
        pid for pid, (day, _, uid) in community.featured.items() if uid == community.ada.id and day.month == 2
    }
    assert ada and {i.id for i in api.list_daily_papers(month="2026-02", submitter="@Ada")} == ada
    assert list(api.list_daily_papers(week="2026-W08", submitter="nobody-here")) == []
    with pytest.raises(BadRequestError, match="submitter"):
        list(api.list_daily_papers(week="2026-W08", submitter="not a handle!"))
    entries: list[dict[str, Any]] = []
    for page in range(4):
        raw = httpx.get(
            f"{server}/api/daily_papers", params={"month": "2026-02", "limit": 100, "p": page}
        ).text
        assert "@example.org" not in raw
        assert "numComments" not in raw and "discussionId" not in raw and "thumbnail" not in raw
        entries += json.loads(raw)
    month = expected_ids(sample_app, community, date(2026, 2, 1), date(2026, 2, 28))
    assert len(entries) == len(month) and {e["paper"]["id"] for e in entries} == month
    quiet = next(pid for pid, (_, _, uid) in community.featured.items() if uid == community.quiet.id)
    quiet_entry = next(e for e in entries if e["paper"]["id"] == quiet)
    assert "submittedBy" not in quiet_entry and "submittedOnDailyBy" not in quiet_entry["paper"]


def test_malformed_parameters_are_400s_naming_the_parameter(api: HfApi) -> None:
    for params, name in [
        ({"date": "2026-02-30"}, "date"),
        ({"date": "20260220"}, "date"),
        ({"week": "2026-W60"}, "week"),
        ({"week": "2026-08"}, "week"),
        ({"month": "2026-13"}, "month"),
        ({"sort": "hot"}, "sort"),
        ({"limit": 500}, "limit"),
        ({"p": -1}, "p"),
    ]:
        with pytest.raises(BadRequestError, match=name) as caught:
            list(api.list_daily_papers(**params))
        assert caught.value.response.status_code == 400
        assert caught.value.response.json()["error"].startswith(("invalid parameters", name))
    with pytest.raises(BadRequestError, match="only one of"):
        list(api.list_daily_papers(date="2026-02-20", week="2026-W08"))


def test_search_finds_papers_in_the_client_shape(
    api: HfApi, sample_app: Paperfeed, community: Community
) -> None:
    found = list(api.list_papers(query="reinforcement learning", limit=5))
    assert len(found) == 5
    for info in found:
        check_against_store(sample_app, community, info)
        assert "reinforcement" in (info.title + info.summary).lower()
    newest = list(api.list_papers(limit=3))
    assert [i.id for i in newest] == [p.paper_id for p in sample_app.store.papers.list_papers(limit=3)]
    code_title = sample_app.store.papers.get(community.code_paper).title  # type: ignore[union-attr]
    words = " ".join(re.findall(r"[A-Za-z]{4,}", code_title)[:6])
    code = list(api.list_papers(query=words, limit=3))
    assert code[0].id == community.code_paper and code[0].submitted_by.username == "bob"


def test_paper_info_and_unknown_ids(api: HfApi, sample_app: Paperfeed, community: Community) -> None:
    for paper_id in [community.code_paper, community.january, *community.featured, "2602.18409"]:
        info = api.paper_info(paper_id)
        assert info.id == paper_id
        check_against_store(sample_app, community, info)
    assert api.paper_info("2602.18409v1").id == "2602.18409"
    assert api.paper_info("2602.18409").upvotes == 0  # zero, not None
    for unknown in ["2602.99999", "not-a-paper-id", "hep-th/9901001"]:
        with pytest.raises(HfHubHTTPError) as caught:
            api.paper_info(unknown)
        assert caught.value.response.status_code == 404
        assert "no paper" in str(caught.value) or "not a paper id" in str(caught.value)
        with pytest.raises(HfHubHTTPError) as caught:
            api.read_paper(unknown)
        assert caught.value.response.status_code == 404


def test_comments_reach_the_client_as_num_comments(
    api: HfApi, sample_app: Paperfeed, community: Community
) -> None:
    from paperfeed.discussion.comments import hide_comment, post_comment

    first = post_comment(sample_app, community.ada, community.code_paper, "Where is the code?").comment
    post_comment(sample_app, community.bob, community.code_paper, "In the repo", parent=first.id)
    spam = post_comment(sample_app, community.bob, community.code_paper, "spam").comment
    hide_comment(sample_app, community.curator, spam.id)
    assert api.paper_info(community.code_paper).comments == 2
    listed = {i.id: i for i in api.list_daily_papers(date="2026-02-20", limit=100)}
    assert listed[community.code_paper].comments == 2
    assert all(i.comments == 0 for pid, i in listed.items() if pid != community.code_paper)


def _heading_and_text(markdown: str) -> tuple[str, str]:
    tokens = MarkdownIt("commonmark").parse(markdown)
    title = next(tokens[n + 1] for n, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h1")
    text = " ".join(
        c.content for t in tokens if t.type == "inline" for c in t.children or [] if c.type == "text"
    )
    return "".join(c.content for c in title.children or []), text


def test_read_paper_gives_markdown_with_the_papers_facts(
    api: HfApi, server: str, sample_app: Paperfeed, community: Community
) -> None:
    paper = sample_app.store.papers.get(community.code_paper)
    assert paper is not None
    markdown = api.read_paper(paper.paper_id)
    title, text = _heading_and_text(markdown)
    assert title == paper.title
    assert paper.abstract in text
    assert all(name in text for name in paper.authors)
    assert f"<https://arxiv.org/abs/{paper.paper_id}>" in markdown
    assert f"<https://arxiv.org/pdf/{paper.paper_id}>" in markdown
    assert f"<{server}/papers/{paper.paper_id}>" in markdown
    assert paper.published is not None and paper.published.date().isoformat() in markdown
    assert "Upvotes:** 1" in markdown and "submitted by bob" in markdown
    assert any(f"<{url}>" in markdown for url in paper.code_links)


def test_hostile_paper_text_stays_text(api: HfApi, server: str, sample_app: Paperfeed) -> None:
    hostile = finalize(
        PaperRecord(
            paper_id="2602.77777",
            title="<script>alert(1)</script> *Bold* [click](https://evil.example) # C#",
            abstract="1. <img src=x onerror=alert(1)> visit www.evil.example or https://evil.example "
            "or mail me@evil.example; `code` _x_ &amp; ![i](https://evil.example/i.png) <https://evil.example>",
            authors=["Eve [x](https://evil.example)", "Mallory <b>"],
            categories=["cs.AI"],
            published=datetime(2026, 2, 20, 12, tzinfo=UTC),
            comment="see https://github.com/example/repo",
        )
    )
    sample_app.store.papers.write_batch([hostile])
    info = api.paper_info("2602.77777")
    assert info.title == hostile.title and info.summary == hostile.abstract  # JSON carries text verbatim
    markdown = api.read_paper("2602.77777")
    html = MarkdownIt("commonmark", {"linkify": False}).render(markdown)
    links = re.findall(r'<a href="([^"]+)"', html)
    assert links == [
        "https://arxiv.org/abs/2602.77777",
        "https://arxiv.org/pdf/2602.77777",
        f"{server}/papers/2602.77777",
        "https://github.com/example/repo",
    ]
    assert "<script" not in html and "<img" not in html and "<b>" not in html and "<em>" not in html
    assert "<code>" not in html and "<ol" not in html and html.count("<h1>") == 1
    title, text = _heading_and_text(markdown)
    assert title == hostile.title and hostile.abstract in text and "Eve [x](https://evil.example)" in text
    # the spellings renderers auto-link are broken by an escape in the Markdown source
    assert "https://evil" not in markdown and "www.evil" not in markdown and "me@evil" not in markdown


def test_the_v1_api_keeps_its_own_error_shape(server: str) -> None:
    answer = httpx.get(f"{server}/api/v1/papers/2602.99999")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
    bad = httpx.get(f"{server}/api/v1/daily/2026-02-30")
    assert bad.status_code == 422 and bad.json()["error"]["status"] == 422
