"""Alembic environment: runs against the engine twinstudio hands over in attributes."""

from __future__ import annotations

from alembic import context

from twinstudio.store.tables import metadata

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
