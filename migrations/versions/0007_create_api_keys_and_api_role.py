"""API keys (stored hashed) and the API's workspace-scoped reader role (issue 7).

``raw.api_keys`` holds one row per key: its public id, the SHA-256 of its secret (never the
secret), the workspace it acts for and whether it may call the admin endpoints.

``perf_api`` is a NOLOGIN group role for the REST API's login.  ``raw.current_workspaces()``
(the row-level security of ``perf_reader``) also returns the transaction setting
``perf.workspace_id``, but only when the session's login is a member of ``perf_api``: BI logins
are not, so setting it gives them nothing.  Per request the API opens a transaction,
``SET LOCAL ROLE perf_reader`` and sets ``perf.workspace_id`` to the caller's workspace, so its
reads pass through exactly the policies BI readers do.  A superuser login counts as a member
of every role (``pg_has_role``); it bypasses row-level security anyway.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

API = "perf_api"
READER = "perf_reader"
WRITER = "perf_writer"


def _current_workspaces(body: str) -> None:
    op.execute(
        f"""
        create or replace function raw.current_workspaces() returns setof text
        language sql stable security definer
        set search_path = pg_catalog, raw
        as $$ {body} $$
        """
    )


BI_ONLY = """
    select workspace_id
    from raw.workspace_access
    where role_name = session_user
"""

BI_AND_API = """
    select workspace_id
    from raw.workspace_access
    where role_name = session_user
    union
    select setting
    from (select nullif(current_setting('perf.workspace_id', true), '') as setting) as api
    where setting is not null and pg_has_role(session_user, 'perf_api', 'member')
"""


def upgrade() -> None:
    op.execute(
        f"""
        do $$ begin
            if not exists (select from pg_roles where rolname = '{API}') then
                create role {API} nologin;
            end if;
        end $$
        """
    )
    # The API reads as the BI reader and writes tracked snapshots as the pipeline does.
    op.execute(f"grant {READER}, {WRITER} to {API}")
    op.execute(
        """
        create table raw.api_keys (
            key_id        text        primary key,
            key_hash      bytea       not null,
            workspace_id  text        not null,
            is_admin      boolean     not null default false,
            label         text,
            created_at    timestamptz not null default now(),
            revoked_at    timestamptz,
            last_used_at  timestamptz,
            check (octet_length(key_hash) = 32)
        )
        """
    )
    op.execute(
        "comment on table raw.api_keys is "
        "'REST API keys: public key id, SHA-256 of the secret (never the secret), the workspace the "
        "key acts for and whether it may call admin endpoints. Revoked keys keep their row.'"
    )
    op.execute(f"grant select, update (last_used_at) on raw.api_keys to {API}")
    # System status reports the schema revision.
    op.execute(f"grant select on alembic_version to {API}")
    _current_workspaces(BI_AND_API)


def downgrade() -> None:
    _current_workspaces(BI_ONLY)
    op.execute("drop table raw.api_keys")
    op.execute("revoke select on alembic_version from perf_api")
    # Roles are cluster-wide: other databases may still use perf_api (its memberships go with it).
    op.execute(
        f"""
        do $$ begin
            drop role if exists {API};
        exception when dependent_objects_still_exist then
            raise notice 'role {API} still used elsewhere; kept';
        end $$
        """
    )
