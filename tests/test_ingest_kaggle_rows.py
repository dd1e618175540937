"""The one-pass Kaggle rows reader gives exactly the rows (and errors) of the generic path."""

from __future__ import annotations

import io
import json

import orjson

from paperfeed.ingest.kaggle import read_kaggle
from paperfeed.ingest.kaggle_rows import fast_rows, read_kaggle_rows
from paperfeed.records import PaperRecord, RecordError
from paperfeed.store.rows import to_rows
from tests.test_ingest_kaggle import SNAPSHOT

BASE = {
    "id": "2101.00001",
    "authors_parsed": [["Smith", "Anna", ""], ["Müller", "Jörg", ""]],
    "title": "A title",
    "abstract": "  An abstract\nwrapped.\n",
    "categories": "cs.LG cs.AI",
    "comments": "10 pages",
    "journal-ref": None,
    "doi": None,
    "versions": [
        {"version": "v1", "created": "Mon, 4 Jan 2021 10:00:00 GMT"},
        {"version": "v2", "created": "Tue, 5 Jan 2021 11:30:00 GMT"},
    ],
}


def _variant(**changes: object) -> bytes:
    return json.dumps({**BASE, **changes}, ensure_ascii=False).encode() + b"\n"


ODD_LINES = [
    _variant(),
    _variant(abstract="See https://github.com/a/b for code."),
    _variant(title="Two  spaces", abstract="tab\there"),
    _variant(title="   "),
    _variant(title=5),
    _variant(id="hep-th/9901001"),
    _variant(id="2101.00002v3"),
    _variant(versions=[{"version": "v2", "created": "Tue, 5 Jan 2021 11:30:00 GMT"}]),
    _variant(versions=[{"version": "v2", "created": "x"}, {"version": "v1", "created": None}]),
    _variant(versions=[{"version": "V1", "created": "Mon, 4 Jan 2021 10:00:00 GMT"}]),
    _variant(versions=[{"version": "v1", "created": "Mon, 31 Feb 2021 10:00:00 GMT"}]),
    _variant(versions=[]),
    _variant(authors_parsed=[], authors="A. Smith and B. Jones"),
    _variant(authors_parsed=[["Smith", "", ""], ["Collab", "The", "Jr"]]),
    _variant(authors_parsed=[["Smith ", "Anna", ""]]),
    _variant(categories="cs.LG cs.LG  math.OC"),
    _variant(categories=None),
    _variant(doi=" 10.1/x ", comments="a\u202eb", **{"journal-ref": "J. 1"}),
    _variant(title="x" * 1001),
    b"\n",
    b"{not json\n",
    b"[1, 2]\n",
    b'{"id": "2101.00003", "title": "Broken \xff byte", "versions": []}\n',
    _variant(id="2101.00004", abstract="\u00e9l\u00e8ve " * 3),
]


def _generic(data: bytes) -> list[object]:
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", errors="replace", newline="")
    return [to_rows(i, sqlite_dates=True) if isinstance(i, PaperRecord) else i for i in read_kaggle(text)]


def test_real_snapshot_lines_give_the_generic_rows() -> None:
    data = SNAPSHOT.read_bytes()
    fast = list(read_kaggle_rows(io.BytesIO(data)))
    assert fast == _generic(data)
    assert all(not isinstance(item, RecordError) for item in fast)


def test_most_real_lines_take_the_fast_path() -> None:
    lines = SNAPSHOT.read_bytes().splitlines()
    taken = sum(fast_rows(orjson.loads(line)) is not None for line in lines)
    assert taken >= len(lines) * 0.8  # 171 of 200: old-style ids and code URLs go the generic way


def test_odd_lines_give_the_generic_rows_and_errors() -> None:
    data = b"\xef\xbb\xbf" + b"".join(ODD_LINES)
    fast = list(read_kaggle_rows(io.BytesIO(data)))
    generic = _generic(data)
    assert fast == generic
    assert any(isinstance(item, RecordError) for item in fast)
    assert fast_rows(orjson.loads(ODD_LINES[0])) is not None
