"""Schemathesis over the JSON API's OpenAPI document: generated requests, valid and invalid, signed
in as a curator (so the write routes are exercised past their authentication), never get a server
error, and every answer matches what the document declares (statuses, content types, the Allow
header of OPTIONS).

The example count is bounded so the suite stays fast (about 20-30 s a backend). One built-in check is
left out: ``positive_data_acceptance`` expects every schema-valid request to succeed, but an opaque
``cursor`` or a paper id can be well-formed and still unknown (422, 404): that is correct behaviour
which no schema can express.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from paperfeed.accounts import create_api_token, ensure_user
from paperfeed.context import Paperfeed
from tests.web_support import recorded_fetcher, web_app

EXAMPLES_PER_OPERATION = 20


@pytest.fixture
def api_schema(sample_app: Paperfeed) -> Iterator[object]:
    web = web_app(sample_app, arxiv_fetcher=recorded_fetcher)
    yield schemathesis.openapi.from_asgi("/openapi.json", web)


@pytest.fixture
def curator_token(sample_app: Paperfeed) -> str:
    ensure_user(sample_app, "fuzz@example.org", role="curator")
    return create_api_token(sample_app, "fuzz@example.org")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_generated_requests(case: schemathesis.Case, curator_token: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {curator_token}"},
        excluded_checks=[positive_data_acceptance],
    )
