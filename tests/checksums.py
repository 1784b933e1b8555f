"""Order-independent checksums of query results, to compare tables across runs."""

from __future__ import annotations

import psycopg
from psycopg import sql


def relation_checksum(conn: psycopg.Connection, relation: str) -> tuple[int, str]:
    """(row count, md5 of the sorted rows as text) of a table name or a parenthesised query."""
    query = sql.SQL(
        "select count(*), md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from {} as t"
    ).format(sql.SQL(relation))
    count, digest = conn.execute(query).fetchone()
    return count, digest
