"""Asset generations (migration 0008): writers bump the relations they wrote, caches compare them.

A relation is named ``schema.name``, which is also its Dagster asset key (``marts/mv_trending_content``).
Bump in the transaction that wrote the relation, as late as possible: the bump takes the
relation's row lock until commit, so concurrent writers of the same relation wait only for the
commit, not for each other's whole write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import psycopg

Generations = Mapping[str, int]


def bump_generations(conn: psycopg.Connection, relations: Iterable[str]) -> None:
    """Give each relation a new generation, in ``conn``'s current transaction."""
    names = sorted(set(relations))
    if names:
        conn.execute("select raw.bump_asset_generations(%s::text[])", (names,))


def read_generations(conn: psycopg.Connection, relations: Iterable[str]) -> dict[str, int]:
    """The current generation of each relation; 0 for one never bumped."""
    names = sorted(set(relations))
    found = dict(
        conn.execute(
            "select relation, generation from raw.asset_generations where relation = any(%s::text[])",
            (names,),
        ).fetchall()
    )
    return {name: found.get(name, 0) for name in names}
