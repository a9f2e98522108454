"""The metadata every table is defined on (its naming convention names constraints and indexes
as the migrations do), and the columns many tables share."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, func

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


def timestamps() -> list[Column]:
    return [
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


# What a missing time sorts as (after every real one): the list's keyset and the expression
# indexes that serve its sort write the same constant (adapters/db/keyset.py NEVER).
NEVER_SQL = "'9999-12-31 00:00:00+00'::timestamp with time zone"
