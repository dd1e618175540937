"""Schemathesis over the JSON API's OpenAPI document: generated requests, valid and invalid, signed
in as a curator (so the write routes are exercised past their authentication), never get a server
error, and every answer matches what the document declares (statuses, content types, the Allow
header of OPTIONS).

Every generated request goes to the sample store on each backend of the run (SQLite, and PostgreSQL
unless ``PAPERFEED_TEST_BACKENDS`` leaves it out), one after the other: what can differ by backend
is the app's answer, not the request, and generating the requests is most of the time (measured: two
thirds of a run). A request the framework refuses before any code of ours runs (a method the path
does not take: 405; parameters that fail their declared types: "invalid parameters") is answered
from the route table and the schema alone, the same whatever store is behind the app: it is checked
on the first backend only (measured: 39 % of the generated requests fail validation, 9 % are a 405).
Every request that reaches our code goes to every backend. The example count is bounded so the suite
stays fast. One built-in check is left out: ``positive_data_acceptance`` expects every schema-valid
request to succeed, but an opaque ``cursor`` or a paper id can be well-formed and still unknown
(422, 404): that is correct behaviour which no schema can express. And on multipart form uploads
(the library import) invalid data need not be refused (``negative_data_rejection``): every part of a
form travels as text or bytes, so a part "mutated" to an object or a number arrives as ordinary
text, often a valid value (a file whose content is ``{}``); every other check still holds there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from paperfeed.accounts import create_api_token, ensure_user
from paperfeed.clock import FixedClock
from tests.conftest import BACKENDS, sample_app_on
from tests.web_support import recorded_fetcher, web_app

EXAMPLES_PER_OPERATION = 20


@dataclass(frozen=True)
class Target:
    """The API on one backend, and a curator's token for it."""

    backend: str
    web: FastAPI
    token: str


@pytest.fixture
def targets(request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock) -> Iterator[list[Target]]:
    with ExitStack() as stack:
        found = []
        for backend in BACKENDS:
            app = stack.enter_context(sample_app_on(backend, tmp_path / backend, request, clock))
            ensure_user(app, "fuzz@example.org", role="curator")
            token = create_api_token(app, "fuzz@example.org")
            found.append(Target(backend, web_app(app, arxiv_fetcher=recorded_fetcher), token))
        yield found


@pytest.fixture
def api_schema(targets: list[Target]) -> object:
    return schemathesis.openapi.from_asgi("/openapi.json", targets[0].web)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_generated_requests(case: schemathesis.Case, targets: list[Target]) -> None:
    multipart = (case.media_type or "").startswith("multipart/form-data")
    excluded = (
        [positive_data_acceptance, negative_data_rejection] if multipart else [positive_data_acceptance]
    )
    for target in targets:
        try:
            response = case.call_and_validate(
                app=target.web,
                headers={"Authorization": f"Bearer {target.token}"},
                excluded_checks=excluded,
            )
        except BaseException as failure:
            failure.add_note(f"(the API on {target.backend})")
            raise
        if refused_by_the_framework(response.status_code, response.text):
            return


def refused_by_the_framework(status: int, body: str) -> bool:
    """Whether FastAPI refused the request before a dependency or endpoint of ours produced the
    answer: a method the path does not take (405), or parameters that fail their declared types
    (``web/errors.py`` words those "invalid parameters: …", as a 422, or a 400 on the Hugging Face
    routes)."""
    if status == 405:
        return True
    if status not in (400, 422):
        return False
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return False
    message = error.get("message") if isinstance(error, dict) else error
    return isinstance(message, str) and message.startswith("invalid parameters: ")
