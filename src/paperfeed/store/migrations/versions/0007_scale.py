"""One row per paper: the lists move into ``papers`` as JSON; author and category look-ups are one
b-tree each, keyed for "newest papers of X"; title matching goes through an integer hash.

Profiled on a 300k-record import (docs/benchmarks.md): a paper was about twelve rows in five tables
with three b-trees each, and SQLite spent about 75 µs of CPU per paper; this layout spends about 41.
Existing stores are converted in place, a chunk of papers at a time.

Revision ID: 0007_scale
Revises: 0006_digest
"""

from datetime import UTC, datetime
from hashlib import blake2b

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0007_scale"
down_revision = "0006_digest"
branch_labels = None
depends_on = None

_CHUNK = 2000


def _key_hash(text: str) -> int:
    # Same as paperfeed.store.rows.key_hash (a migration keeps its own copy: it must never change).
    return int.from_bytes(blake2b(text.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def _aware_iso(value: object) -> str | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat()


def _epoch(value: object) -> int:
    if value is None:
        return 0
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return int(moment.timestamp())


def _lists(connection: sa.Connection, table: str, value: str, order: str, ids: list[str]) -> dict[str, list]:
    query = sa.text(
        f"SELECT paper_id, {value} FROM {table} WHERE paper_id IN :ids ORDER BY paper_id, {order}"
    ).bindparams(sa.bindparam("ids", expanding=True))
    found: dict[str, list] = {}
    for row in connection.execute(query, {"ids": ids}):
        found.setdefault(row[0], []).append(row[1] if len(row) == 2 else list(row[1:]))
    return found


def upgrade() -> None:
    connection = op.get_bind()
    op.add_column("papers", sa.Column("title_hash", sa.BigInteger, nullable=False, server_default="0"))
    for name in ("authors", "categories", "versions", "links"):
        op.add_column("papers", sa.Column(name, sa.Text, nullable=False, server_default="[]"))

    # Fill the new columns from the child tables, a chunk of papers at a time.
    last = ""
    update = sa.text(
        "UPDATE papers SET title_hash = :title_hash, authors = :authors, categories = :categories, "
        "versions = :versions, links = :links WHERE id = :id"
    )
    while True:
        rows = connection.execute(
            sa.text("SELECT id, title_key FROM papers WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": _CHUNK},
        ).all()
        if not rows:
            break
        ids = [row[0] for row in rows]
        authors = _lists(connection, "paper_authors", "name", "position", ids)
        categories = _lists(connection, "paper_categories", "category", "position", ids)
        links = _lists(connection, "paper_links", "url", "position", ids)
        versions = _lists(connection, "paper_versions", "version, submitted_at", "version", ids)
        connection.execute(
            update,
            [
                {
                    "id": paper_id,
                    "title_hash": _key_hash(title_key),
                    "authors": orjson.dumps(authors.get(paper_id, [])).decode(),
                    "categories": orjson.dumps(categories.get(paper_id, [])).decode(),
                    "links": orjson.dumps(links.get(paper_id, [])).decode(),
                    "versions": orjson.dumps(
                        [[number, _aware_iso(when)] for number, when in versions.get(paper_id, [])]
                    ).decode(),
                }
                for paper_id, title_key in rows
            ],
        )
        last = ids[-1]

    for table in ("paper_authors", "paper_categories", "paper_versions", "paper_links"):
        op.drop_table(table)
    op.drop_index("ix_papers_title_key", table_name="papers")
    op.drop_index("ix_papers_primary_category_published", table_name="papers")
    op.create_index("ix_papers_title_hash", "papers", ["title_hash"])
    # The change feed pages by (change_seq, id): one range scan per batch (see schema/papers.py).
    op.drop_index("ix_papers_change_seq", table_name="papers")
    op.create_index("ix_papers_change_seq_id", "papers", ["change_seq", "id"])

    op.create_table(
        "paper_authors",
        sa.Column("author_key", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("published_ts", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("paper_id", sa.String(64), primary_key=True),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "paper_categories",
        sa.Column("category", sa.String(32), primary_key=True),
        sa.Column("published_ts", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("paper_id", sa.String(64), primary_key=True),
        sqlite_with_rowid=False,
    )
    last = ""
    while True:
        rows = connection.execute(
            sa.text(
                "SELECT id, authors, categories, published_at FROM papers WHERE id > :last ORDER BY id LIMIT :n"
            ),
            {"last": last, "n": _CHUNK},
        ).all()
        if not rows:
            break
        author_rows, category_rows = [], []
        for paper_id, authors_json, categories_json, published in rows:
            ts = _epoch(published)
            author_rows += [
                {"author_key": key, "published_ts": ts, "paper_id": paper_id}
                for key in {_key_hash(name) for name in orjson.loads(authors_json)}
            ]
            category_rows += [
                {"category": category, "published_ts": ts, "paper_id": paper_id}
                for category in set(orjson.loads(categories_json))
            ]
        if author_rows:
            connection.execute(
                sa.text("INSERT INTO paper_authors VALUES (:author_key, :published_ts, :paper_id)"),
                author_rows,
            )
        if category_rows:
            connection.execute(
                sa.text("INSERT INTO paper_categories VALUES (:category, :published_ts, :paper_id)"),
                category_rows,
            )
        last = rows[-1][0]


def downgrade() -> None:
    raise NotImplementedError("0007_scale is not reversible: restore a backup taken before the upgrade")
