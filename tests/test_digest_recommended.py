"""The digest's "Recommended for you" section is the member's "For you" ranking: the same papers and
reasons as :func:`~paperfeed.recommend.service.recommendations_for` over the period, for members
who chose it only, ranked for every such subscriber at once on a send and alone on a preview; the
choice round-trips through the store, the CLI, the form and the API. Both backends."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fastapi.testclient import TestClient

import paperfeed.digest.recommended as recommended
from paperfeed.accounts import ensure_user
from paperfeed.context import Paperfeed
from paperfeed.digest.choices import describe, make_choices
from paperfeed.digest.due import daily_period
from paperfeed.digest.preview import preview
from paperfeed.digest.recommended import PersonalRecommendations
from paperfeed.digest.sender import send_digests
from paperfeed.library import collections
from paperfeed.recommend.service import recommendations_for
from tests.digest_support import subscriber
from tests.test_digest_cli import run
from tests.web_support import web_app

FAIRNESS = "2602.18201"
DAY = date(2026, 2, 19)
PERIOD_KEY = "daily:2026-02-19"


def _expected(app: Paperfeed, user_id: int, limit: int) -> list[tuple[str, str]]:
    period = daily_period(DAY)
    assert period is not None
    return recommendations_for(app, user_id, period.since, period.until, limit=limit)


def _recommended_ids(items: object) -> list[str]:
    return [item.paper_id for item in items if item.section == "recommended"]  # type: ignore[attr-defined]


def test_a_send_ranks_the_members_who_chose_it_once_and_records_their_reasons(
    sample_app: Paperfeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = ensure_user(sample_app, "reader@example.org")
    collections.save(sample_app, reader, FAIRNESS)
    other = ensure_user(sample_app, "other@example.org")
    collections.save(sample_app, other, FAIRNESS)
    mine = subscriber(
        sample_app,
        "reader@example.org",
        categories=["cs.RO"],
        trending=False,
        max_papers=12,
        recommended=True,
    )
    unchosen = subscriber(sample_app, "other@example.org", categories=["cs.RO"], trending=False)
    stranger = subscriber(
        sample_app, "stranger@example.org", categories=["cs.RO"], trending=False, recommended=True
    )
    batches: list[list[int]] = []
    real = recommended.recommendations_for_many

    def counting(app: Paperfeed, ids: list[int], *args: object, **kwargs: object) -> object:
        batches.append(list(ids))
        return real(app, ids, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(recommended, "recommendations_for_many", counting)
    report = send_digests(sample_app, day=DAY, recommendations=PersonalRecommendations(sample_app))
    assert report.to_dict()["sent"] == 3
    assert batches == [[reader.id]]  # one batch, only the member who chose the section

    expected = _expected(sample_app, reader.id, limit=12)
    assert expected and all(why.startswith("like ") for _, why in expected)
    assert FAIRNESS not in dict(expected)  # saved already: never pushed again

    def ledger(subscription_id: int) -> list[list[object]]:
        row = sample_app.store.sends.send_of(subscription_id, PERIOD_KEY)
        assert row is not None and row.status == "sent" and row.content is not None
        return json.loads(row.content)  # type: ignore[no-any-return]

    rows = [r for r in ledger(mine.id) if r[1] == "recommended"]
    assert rows and rows[0][0] == expected[0][0]
    why = dict(expected)
    for paper_id, _, reasons in rows:
        assert why[str(paper_id)] in reasons  # type: ignore[operator]
    # Neither an address without an account nor a member who did not choose it gets the section.
    assert not [r for r in ledger(stranger.id) if r[1] == "recommended"]
    assert not [r for r in ledger(unchosen.id) if r[1] == "recommended"]


def test_a_preview_ranks_the_one_member_and_an_empty_section_is_left_out(
    sample_app: Paperfeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = ensure_user(sample_app, "reader@example.org")
    collections.save(sample_app, reader, FAIRNESS)
    subscriber(sample_app, "reader@example.org", categories=["cs.RO"], trending=False, recommended=True)
    for n in range(3):
        subscriber(sample_app, f"s{n}@example.org", categories=["cs.RO"], recommended=True)

    def no_batch(*args: object, **kwargs: object) -> object:
        raise AssertionError("a preview must not rank every subscriber")

    monkeypatch.setattr(recommended, "recommendations_for_many", no_batch)
    provider = PersonalRecommendations(sample_app, batch=False)
    (result,) = preview(sample_app, "reader@example.org", day=DAY, recommendations=provider)
    assert (
        _recommended_ids(result.digest.items)
        == [pid for pid, _ in _expected(sample_app, reader.id, limit=20)][
            : len(_recommended_ids(result.digest.items))
        ]
    )
    assert result.rendered is not None and "Recommended for you" in result.rendered.html

    # A member with nothing to learn from gets no section (and no heading), only the categories.
    ensure_user(sample_app, "new@example.org")
    subscriber(sample_app, "new@example.org", categories=["cs.RO"], trending=False, recommended=True)
    (fresh,) = preview(sample_app, "new@example.org", day=DAY, recommendations=provider)
    assert fresh.rendered is not None and fresh.digest.items
    assert not _recommended_ids(fresh.digest.items)
    assert "Recommended for you" not in fresh.rendered.html


def test_the_choice_round_trips_through_store_cli_form_and_api(sample_app: Paperfeed) -> None:
    choices = make_choices(categories=["cs.CL"], recommended=True)
    assert "recommended for you" in describe(choices)
    added = sample_app.store.subscriptions.add(
        "a@example.org", choices, status="active", now=sample_app.clock.now()
    )
    loaded = sample_app.store.subscriptions.get(added.id)
    assert loaded is not None and loaded.choices.recommended
    assert sample_app.store.subscriptions.set_choices(added.id, make_choices(categories=["cs.CL"]))
    again = sample_app.store.subscriptions.get(added.id)
    assert again is not None and not again.choices.recommended

    code, stdout, stderr = run(
        sample_app,
        "digest",
        "subscribe",
        "cli@example.org",
        "--category",
        "cs.CL",
        "--recommended",
        "--confirmed",
    )
    assert code == 0, stderr
    assert "recommended for you" in stdout
    (cli_sub,) = sample_app.store.subscriptions.for_email("cli@example.org")
    assert cli_sub.choices.recommended

    with TestClient(web_app(sample_app, indexer=False, scheduler=False)) as client:
        answer = client.post("/api/v1/subscriptions", json={"email": "api@example.org", "recommended": True})
        assert answer.status_code == 202, answer.text
        wrong = client.post("/api/v1/subscriptions", json={"email": "b@example.org", "recommended": "yes"})
        assert wrong.status_code == 422
    (api_sub,) = sample_app.store.subscriptions.for_email("api@example.org")
    assert api_sub.choices.recommended
