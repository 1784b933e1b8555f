"""API keys: issued once, stored hashed, verified in constant time, revocable.

A token reads ``perf_<key id>.<secret>``: the key id (public, the table's primary key) finds
the row, the secret (32 random bytes, URL-safe base64) is never stored - only the SHA-256 of the
whole token.  SHA-256 suffices for a 256-bit random secret (a slow hash only matters for guessable
passwords).  Tokens are never logged; log lines name the key id.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass

import psycopg

log = logging.getLogger(__name__)

TOKEN_PREFIX = "perf_"
_TOKEN = re.compile(r"perf_(?P<key_id>[0-9a-f]{16})\.(?P<secret>[A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's id, the workspace it acts for, and whether it is an admin key."""

    key_id: str
    workspace_id: str
    is_admin: bool


@dataclass(frozen=True)
class IssuedKey:
    """A new key: ``token`` is shown to its owner once and stored only as ``key_hash``."""

    caller: Caller
    token: str
    key_hash: bytes


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def issue_key(workspace_id: str, *, is_admin: bool = False) -> IssuedKey:
    """A fresh random key (pure: nothing is stored)."""
    key_id = secrets.token_hex(8)
    token = f"{TOKEN_PREFIX}{key_id}.{secrets.token_urlsafe(32)}"
    return IssuedKey(Caller(key_id, workspace_id, is_admin), token, token_hash(token))


def key_id_of(token: str) -> str | None:
    """The key id of a well-formed token, None for anything else."""
    match = _TOKEN.fullmatch(token)
    return match["key_id"] if match else None


def create_api_key(
    conn: psycopg.Connection, workspace_id: str, *, is_admin: bool = False, label: str | None = None
) -> IssuedKey:
    """Store a new key's hash and return the key with its token (shown once)."""
    issued = issue_key(workspace_id, is_admin=is_admin)
    conn.execute(
        "insert into raw.api_keys (key_id, key_hash, workspace_id, is_admin, label) "
        "values (%s, %s, %s, %s, %s)",
        (issued.caller.key_id, issued.key_hash, workspace_id, is_admin, label),
    )
    log.info("created API key %s for workspace %s (admin: %s)", issued.caller.key_id, workspace_id, is_admin)
    return issued


def verify_api_key(conn: psycopg.Connection, token: str) -> Caller | None:
    """The caller a token belongs to, or None when it is malformed, unknown, wrong or revoked.

    Records the key's use (at most once a minute, so reads do not write on every request).
    """
    key_id = key_id_of(token)
    if key_id is None:
        return None
    row = conn.execute(
        "select key_hash, workspace_id, is_admin from raw.api_keys where key_id = %s and revoked_at is null",
        (key_id,),
    ).fetchone()
    if row is None or not hmac.compare_digest(bytes(row[0]), token_hash(token)):
        return None
    conn.execute(
        "update raw.api_keys set last_used_at = now() where key_id = %s "
        "and (last_used_at is null or last_used_at < now() - interval '1 minute')",
        (key_id,),
    )
    return Caller(key_id=key_id, workspace_id=row[1], is_admin=row[2])


def revoke_api_key(conn: psycopg.Connection, key_id: str) -> bool:
    """Revoke a key by id; False when no active key has that id."""
    revoked = conn.execute(
        "update raw.api_keys set revoked_at = now() where key_id = %s and revoked_at is null", (key_id,)
    ).rowcount
    if revoked:
        log.info("revoked API key %s", key_id)
    return bool(revoked)
