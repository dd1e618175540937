"""CSV with a header row, using the same column names as the JSON lines format.

List columns (``authors``, ``categories``, ``versions``, ``code_links``) hold items separated by
``;`` (``"Ada Lovelace; Charles Babbage"``), or the jsonl spellings: a JSON array, ``"A, B and C"``
for authors, spaces for categories. See :mod:`paperfeed.ingest.jsonl` for the field meanings.

Errors name the line on which the offending row ends (a quoted field may span lines).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import TextIO

import orjson

from paperfeed.ingest.fields import RECORD_FAILURES, error_for, record_from_mapping
from paperfeed.records import RecordError, SourceItem

SOURCE = "csv"
_LIST_COLUMNS = ("authors", "categories", "versions", "code_links")


def _split_semicolons(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


def read_csv(fh: TextIO) -> Iterator[SourceItem]:
    """Yield one record (or error) per data row of ``fh``; a missing header is an error."""
    csv.field_size_limit(10_000_000)  # abstracts with pasted tables exceed the 128 KB default
    reader = csv.DictReader(fh)
    if not reader.fieldnames:
        yield RecordError("line 1", "empty file: a header row naming the columns is required")
        return
    if "title" not in {name.strip() for name in reader.fieldnames}:
        yield RecordError("line 1", f"no 'title' column in the header {reader.fieldnames!r}")
        return
    for row in reader:
        where = f"line {reader.line_num}"
        if None in row:
            yield RecordError(where, "row has more cells than the header has columns")
            continue
        try:
            fields = {key.strip(): value.strip() for key, value in row.items() if key and value}
            for column in _LIST_COLUMNS:
                value = fields.get(column)
                if value and value.startswith("["):
                    fields[column] = orjson.loads(value)
            if not fields:
                continue
            yield record_from_mapping(fields, source=SOURCE, split_list=_split_semicolons)
        except orjson.JSONDecodeError as exc:
            yield RecordError(where, f"invalid JSON list in a cell: {exc}")
        except RECORD_FAILURES as exc:
            yield error_for(where, exc)
