"""Alembic environment: runs on the connection the bot hands it (see `bot.db.Database.migrate`)."""

from __future__ import annotations

from alembic import context

from bot.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "Run migrations through `kontaktlotsen migrate`, which passes a connection."
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
