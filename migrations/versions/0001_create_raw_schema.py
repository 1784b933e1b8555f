"""Create the raw schema: day-partitioned snapshots, content, quarantine and ingest log.

Revision ID: 0001
Revises:
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("create schema if not exists raw")
    op.execute(
        """
        create table raw.engagement_snapshots (
            workspace_id        text        not null,
            platform            text        not null,
            content_id          text        not null,
            captured_at         timestamptz not null,
            views               bigint      not null check (views >= 0),
            likes               bigint      check (likes >= 0),
            comments            bigint      check (comments >= 0),
            shares              bigint      check (shares >= 0),
            saves               bigint      check (saves >= 0),
            watch_time_seconds  bigint      check (watch_time_seconds >= 0),
            impressions         bigint      check (impressions >= 0),
            reach               bigint      check (reach >= 0),
            engagement_rate     double precision check (engagement_rate >= 0),
            ingest_date         date        not null,
            source_file         text        not null,
            source_line         integer     not null,
            primary key (workspace_id, platform, content_id, captured_at)
        ) partition by range (captured_at)
        """
    )
    op.execute(
        """
        comment on table raw.engagement_snapshots is
        'Lifetime engagement counters as each platform reported them, one row per capture. '
        'Append-only facts; range-partitioned by UTC day of captured_at '
        '(partitions raw.engagement_snapshots_pYYYYMMDD, created on demand).'
        """
    )
    op.execute(
        """
        comment on column raw.engagement_snapshots.ingest_date is
        'Landing day (landing/<platform>/<day>/) whose files delivered the row; '
        're-ingesting that day replaces exactly these rows.'
        """
    )
    # Partitions are created by the pipeline, which may run as a role that does not own the
    # parent table: a SECURITY DEFINER function lets it add day partitions and nothing else.
    op.execute(
        """
        create function raw.ensure_snapshot_partition(day date) returns text
        language plpgsql security definer
        set search_path = pg_catalog, raw
        as $$
        declare
            partition_name text := 'engagement_snapshots_p' || to_char(day, 'YYYYMMDD');
        begin
            if to_regclass('raw.' || partition_name) is null then
                execute format(
                    'create table raw.%I partition of raw.engagement_snapshots '
                    'for values from (%L) to (%L)',
                    partition_name,
                    (day::timestamp at time zone 'UTC'),
                    ((day + 1)::timestamp at time zone 'UTC')
                );
            end if;
            return 'raw.' || partition_name;
        end;
        $$
        """
    )
    op.execute(
        """
        create table raw.content (
            workspace_id          text        not null,
            platform              text        not null,
            content_id            text        not null,
            title                 text,
            description           text,
            published_at          timestamptz,
            duration_seconds      integer     check (duration_seconds >= 0),
            category              text,
            tags                  text[],
            language              text,
            creator_id            text,
            creator_name          text,
            creator_timezone      text,
            format                text,
            metadata_captured_at  timestamptz not null,
            first_ingest_date     date        not null,
            last_ingest_date      date        not null,
            primary key (workspace_id, platform, content_id)
        )
        """
    )
    op.execute(
        "comment on table raw.content is "
        "'Descriptive metadata per content item; the most recent capture that carried "
        "metadata wins.'"
    )
    op.execute(
        """
        create table raw.rejected_snapshots (
            rejection_id  bigint      generated always as identity primary key,
            workspace_id  text        not null,
            ingest_date   date,
            source        text        not null check (source in ('file', 'api')),
            source_file   text,
            source_line   integer,
            request_id    text,
            content_id    text,
            platform      text,
            reason        text        not null,
            field         text,
            payload       text        not null,
            received_at   timestamptz not null default now()
        )
        """
    )
    op.execute("create index rejected_snapshots_ingest_date_idx on raw.rejected_snapshots (ingest_date)")
    op.execute(
        "comment on table raw.rejected_snapshots is "
        "'Quarantine: every record that failed validation, with the rule (reason), the field, "
        "where it came from and its original payload text.'"
    )
    op.execute(
        """
        create table raw.ingest_log (
            ingest_id         bigint      generated always as identity primary key,
            workspace_id      text        not null,
            ingest_date       date        not null,
            run_id            text,
            files             integer     not null,
            received          integer     not null,
            accepted          integer     not null,
            rejected          integer     not null,
            distinct_content  integer     not null,
            by_platform       jsonb       not null,
            started_at        timestamptz not null,
            finished_at       timestamptz not null,
            check (received = accepted + rejected)
        )
        """
    )
    op.execute("create index ingest_log_ingest_date_idx on raw.ingest_log (ingest_date)")
    op.execute(
        "comment on table raw.ingest_log is "
        "'One row per workspace per ingestion of a landing day: received = accepted + rejected.'"
    )


def downgrade() -> None:
    op.execute("drop table raw.ingest_log")
    op.execute("drop table raw.rejected_snapshots")
    op.execute("drop table raw.content")
    op.execute("drop function raw.ensure_snapshot_partition(date)")
    op.execute("drop table raw.engagement_snapshots")
    op.execute("drop schema raw")
