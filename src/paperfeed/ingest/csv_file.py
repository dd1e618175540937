"""CSV with a header row, using the same column names as the JSON lines format.

List columns (``authors``, ``categories``, ``versions``, ``code_links``) hold items separated by
``;`` (``"Ada Lovelace; Charles Babbage"``), or the jsonl spellings: a JSON array, ``"A, B and C"``
for authors, spaces for categories. See :mod:`paperfeed.ingest.jsonl` for the field meanings.

Columns are separated by commas, semicolons or tabs: the header row tells which (see
:func:`_header_delimiter`). A byte-order mark before the header (Excel writes one) is ignored.

Errors name the line on which the offending row ends (a quoted field may span lines).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from typing import TextIO

import orjson

from paperfeed.ingest.fields import (
    MAX_RECORD_CHARS,
    RECORD_FAILURES,
    bounded_lines,
    error_for,
    record_from_mapping,
    too_long,
)
from paperfeed.records import RecordError, SourceItem

SOURCE = "csv"
_LIST_COLUMNS = ("authors", "categories", "versions", "code_links")
DELIMITERS = (",", ";", "\t")


def _split_semicolons(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


def _header_delimiter(header: str) -> str:
    """The delimiter of a header row: the one that makes ``title`` a column (comma when several do).

    Spreadsheets in many locales save "CSV" with semicolons (the comma is their decimal mark), and
    some tools write tabs; the header names the columns, so it tells which one this file uses.
    """
    for delimiter in DELIMITERS:
        names = next(csv.reader([header], delimiter=delimiter), [])
        if "title" in {name.strip().lstrip("\ufeff").lower() for name in names}:
            return delimiter
    return ","


def _lines(fh: TextIO, too_long_lines: list[int]) -> Iterator[str]:
    """The file's lines for the csv module, each at most MAX_RECORD_CHARS long (longer ones are
    replaced by an empty line, which the csv module skips, and their numbers recorded)."""
    for number, line in bounded_lines(fh):
        if line is None:
            too_long_lines.append(number)
            yield "\n"
        else:
            yield line


def read_csv(fh: TextIO) -> Iterator[SourceItem]:
    """Yield one record (or error) per data row of ``fh``; a missing header is an error."""
    csv.field_size_limit(MAX_RECORD_CHARS)  # abstracts with pasted tables exceed the 128 KB default
    too_long_lines: list[int] = []
    lines = _lines(fh, too_long_lines)
    header = next(lines, "")
    if not header.strip():
        yield RecordError("line 1", "empty file: a header row naming the columns is required")
        return
    delimiter = _header_delimiter(header)
    reader = csv.DictReader(itertools.chain([header], lines), delimiter=delimiter)
    fieldnames = [name.strip().lstrip("\ufeff") for name in reader.fieldnames or []]
    reader.fieldnames = fieldnames
    if "title" not in fieldnames:
        yield RecordError(
            "line 1",
            f"no 'title' column in the header {fieldnames!r} "
            "(columns must be separated by commas, semicolons or tabs)",
        )
        return
    reported = 0
    for row in reader:
        where = f"line {reader.line_num}"
        while reported < len(too_long_lines):
            yield too_long(too_long_lines[reported])
            reported += 1
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
    for number in too_long_lines[reported:]:
        yield too_long(number)
