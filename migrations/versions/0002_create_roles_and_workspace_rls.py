"""Create the pipeline (writer) and BI (reader) roles with row-level security per workspace.

``perf_writer`` and ``perf_reader`` are NOLOGIN group roles: grant them to login roles.
A reader sees only the workspaces mapped to its login role in ``raw.workspace_access``.

The writer has BYPASSRLS: Postgres refuses ``COPY FROM`` into a table whose RLS applies to the
current role.  Role attributes are not inherited, so pipeline logins act as the writer with
``SET ROLE perf_writer`` (e.g. ``?options=-c%20role%3Dperf_writer`` in DATABASE_URL).  RLS is
not FORCEd on raw tables: their owner is the migrating administrator, trusted like the writer.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

WRITER = "perf_writer"
READER = "perf_reader"
WORKSPACE_TABLES = ("engagement_snapshots", "content", "rejected_snapshots", "ingest_log")


def _create_role(name: str) -> None:
    op.execute(
        f"""
        do $$ begin
            if not exists (select from pg_roles where rolname = '{name}') then
                create role {name} nologin;
            end if;
        end $$
        """
    )


def upgrade() -> None:
    _create_role(WRITER)
    _create_role(READER)
    op.execute(f"alter role {WRITER} bypassrls")
    op.execute(
        """
        create table raw.workspace_access (
            role_name     name not null,
            workspace_id  text not null,
            primary key (role_name, workspace_id)
        )
        """
    )
    op.execute(
        "comment on table raw.workspace_access is "
        "'Which workspaces each BI login role may read (row-level security of perf_reader).'"
    )
    op.execute(
        """
        create function raw.current_workspaces() returns setof text
        language sql stable security definer
        set search_path = pg_catalog, raw
        as $$
            select workspace_id
            from raw.workspace_access
            where role_name = session_user
        $$
        """
    )
    op.execute(f"grant usage on schema raw to {WRITER}, {READER}")
    op.execute(f"grant execute on function raw.current_workspaces() to {READER}")
    op.execute(f"grant execute on function raw.ensure_snapshot_partition(date) to {WRITER}")
    op.execute("revoke execute on function raw.ensure_snapshot_partition(date) from public")
    for table in WORKSPACE_TABLES:
        qualified = f"raw.{table}"
        op.execute(f"grant select, insert, update, delete on {qualified} to {WRITER}")
        op.execute(f"grant select on {qualified} to {READER}")
        op.execute(f"alter table {qualified} enable row level security")
        op.execute(
            f"create policy reader_workspace on {qualified} for select to {READER} "
            "using (workspace_id in (select raw.current_workspaces()))"
        )
    op.execute(f"grant select, insert, update, delete on raw.workspace_access to {WRITER}")
    op.execute(f"grant usage on all sequences in schema raw to {WRITER}")


def downgrade() -> None:
    for table in reversed(WORKSPACE_TABLES):
        qualified = f"raw.{table}"
        op.execute(f"drop policy reader_workspace on {qualified}")
        op.execute(f"alter table {qualified} disable row level security")
        op.execute(f"revoke all on {qualified} from {WRITER}, {READER}")
    op.execute(f"revoke all on all sequences in schema raw from {WRITER}")
    op.execute("drop function raw.current_workspaces()")
    op.execute("drop table raw.workspace_access")
    op.execute(f"revoke execute on function raw.ensure_snapshot_partition(date) from {WRITER}")
    op.execute("grant execute on function raw.ensure_snapshot_partition(date) to public")
    op.execute(f"revoke usage on schema raw from {WRITER}, {READER}")
    # Roles are cluster-wide and may hold privileges in other databases: drop them only
    # when nothing else depends on them.
    for role in (READER, WRITER):
        op.execute(
            f"""
            do $$ begin
                drop role if exists {role};
            exception when dependent_objects_still_exist then
                raise notice 'role {role} still used elsewhere; kept';
            end $$
            """
        )
