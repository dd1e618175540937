"""Alembic environment: runs paperfeed's migrations on the connection the store hands over."""

from __future__ import annotations

from alembic import context

from paperfeed.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - paperfeed always passes its own connection
    raise RuntimeError("paperfeed migrations run through paperfeed.store.database.Database.upgrade()")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
