"""Alembic's entry point, for running ``alembic`` by hand; the application uses :mod:`..migrate`."""

from __future__ import annotations

from alembic import context

from curriculum_gui.store.engine import create_engine, resolve_url
from curriculum_gui.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is not None:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(resolve_url(context.config.get_main_option("sqlalchemy.url")))
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
