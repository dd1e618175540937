"""JSON lines: one paper object per line, in paperfeed's documented field vocabulary.

Fields (all optional except ``title``; unknown fields are ignored):

- ``id`` or ``arxiv_id``: an arXiv id, optionally versioned (``2602.18409v2``), ``arXiv:`` prefixed,
  or an arxiv.org abs/pdf URL. Without one the paper gets a ``title:`` id from its normalised title.
- ``title`` (required), ``abstract`` (or ``summary``).
- ``authors``: a list of names, or one string ``"A, B and C"``.
- ``categories``: a list or a space-separated string, primary first; ``primary_category`` is put first.
- ``version``: ``2`` or ``"v2"``, the version the title/abstract belong to (overrides the id's suffix).
- ``versions``: the history, a list of ``{"version": "v1", "created": <date>}`` or a list of dates
  (v1, v2, … in order).
- ``published``/``published_date``: the first version's date; ``updated``/``updated_date``: this
  version's date. Dates: ISO 8601, ``2026-02-20 18:18:48 UTC``, bare ``YYYY-MM-DD`` or RFC 2822.
- ``doi``, ``comment``/``comments``, ``journal_ref``/``journal-ref``, ``code_links`` (list or
  space-separated URLs; GitHub/GitLab/Hugging Face links in the abstract and comment are added).

This is a superset of the arxiv-sample layout (``arxiv_id``, ``published_date``, ``updated_date``,
``primary_category``, ``comment``, ``pdf_url``), which therefore imports unchanged.

A line that is not JSON, or whose record is invalid, becomes ``RecordError("line N", reason)`` and
the stream goes on: one bad line must not cost the rest of a multi-gigabyte import. A line longer
than ``MAX_RECORD_CHARS`` (8 MB) is skipped the same way without ever being held in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TextIO

import orjson

from paperfeed.ingest.fields import RECORD_FAILURES, error_for, iter_numbered, record_from_mapping, too_long
from paperfeed.records import RecordError, SourceItem

SOURCE = "jsonl"


def _with_lone_surrogates(line: str) -> object | None:
    """A line orjson refuses only for an escaped lone surrogate (``"\\ud800"``, which some exporters
    write for a broken character): the standard library reads it, and the record's text is cleaned
    of surrogates like any other unsafe character (``paperfeed.records``), instead of losing the
    whole paper. ``None`` when the line is not JSON after all."""
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return None


def read_jsonl(fh: TextIO) -> Iterator[SourceItem]:
    """Yield one record (or error) per non-blank line of ``fh``, lazily."""
    for number, line in iter_numbered(fh):
        if line is None:
            yield too_long(number)
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            obj = _with_lone_surrogates(line) if "surrogate" in str(exc) else None
            if obj is None:
                yield RecordError(f"line {number}", f"invalid JSON: {exc}")
                continue
        try:
            yield record_from_mapping(obj, source=SOURCE)
        except RECORD_FAILURES as exc:
            yield error_for(f"line {number}", exc)
