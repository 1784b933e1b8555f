"""Asset generations: bumped when an asset is re-materialised, so serving caches invalidate (issue 7).

``raw.asset_generations`` holds one row per relation (``schema.name``, the Dagster asset key of
the relation) with the generation of its last write. Every writer bumps the relations it wrote
in the same transaction as the write (``raw.bump_asset_generations``): the analytics result
tables (``analytics_io.store.replace_day``), the raw snapshots (the ingest loader, the API's
track endpoint) and the dbt models (after a build). A cached answer records the generations it
was computed under and is served only while they are unchanged.

Generations come from one sequence, so a number is never reused: a relation whose row was lost
(or a reset table) can never match an old cache entry by accident. Relations are bumped in name
order, so two transactions bumping overlapping sets cannot deadlock on the rows.

Nothing here is per workspace, and BI readers (``perf_reader``) get no access: they do not cache.
The writer bumps through the SECURITY DEFINER function; the API's login (``perf_api``, 0007) reads
the generations before it switches to the reader role for a request.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

WRITER = "perf_writer"
API = "perf_api"


def upgrade() -> None:
    op.execute("create sequence raw.asset_generation_seq")
    op.execute(
        """
        create table raw.asset_generations (
            relation    text        primary key,
            generation  bigint      not null,
            updated_at  timestamptz not null default now()
        )
        """
    )
    op.execute(
        "comment on table raw.asset_generations is "
        "'Generation of the last write of each relation (schema.name); serving caches compare it.'"
    )
    op.execute(
        """
        create function raw.bump_asset_generations(relations text[]) returns void
        language sql volatile security definer
        set search_path = pg_catalog, raw
        as $$
            insert into raw.asset_generations as current (relation, generation, updated_at)
            select relation, nextval('raw.asset_generation_seq'), now()
            from (select distinct unnest(relations) as relation order by 1) as sorted
            on conflict (relation) do update
                set generation = excluded.generation, updated_at = excluded.updated_at
        $$
        """
    )
    op.execute(
        "comment on function raw.bump_asset_generations(text[]) is "
        "'Give each named relation a new generation (call in the transaction that wrote it).'"
    )
    op.execute("revoke execute on function raw.bump_asset_generations(text[]) from public")
    op.execute(f"grant execute on function raw.bump_asset_generations(text[]) to {WRITER}")
    op.execute(f"grant select on raw.asset_generations to {WRITER}, {API}")


def downgrade() -> None:
    op.execute("drop function raw.bump_asset_generations(text[])")
    op.execute("drop table raw.asset_generations")
    op.execute("drop sequence raw.asset_generation_seq")
