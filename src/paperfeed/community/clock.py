"""Naive-UTC "now", the one convention of the store (SQLite has no time zones)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
