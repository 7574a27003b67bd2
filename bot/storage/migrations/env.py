"""Alembic environment: always runs on the connection handed over by bot.storage.migrate."""
from alembic import context
from sqlmodel import SQLModel

from bot.storage import models  # noqa: F401  (registers the tables on the metadata)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `chatops db upgrade`, not the alembic CLI")
context.configure(connection=connection, target_metadata=SQLModel.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
