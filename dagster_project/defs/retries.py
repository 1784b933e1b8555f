"""Retrying steps on transient database errors, with exponential backoff.

A Dagster ``RetryPolicy`` would retry any failure, bad input and bugs included; these steps
retry only what a retry can fix: a lost or refused connection (server restarting, network),
a deadlock or a serialization failure. Each step replaces its partitions in transactions, so a
retried attempt starts from what the failed one left: nothing of its own.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import psycopg

from dagster_project.config import get_settings

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    psycopg.OperationalError,  # connection refused or lost, admin shutdown, too many connections
    psycopg.errors.DeadlockDetected,
    psycopg.errors.SerializationFailure,
)


def backoff_seconds(attempt: int, base: float) -> float:
    """Seconds to wait before retry ``attempt + 1`` (attempt counts from 0)."""
    return base * 2**attempt


@contextmanager
def retry_transient_database_errors(context: dg.OpExecutionContext) -> Iterator[None]:
    """Turn a transient database error into a retry request (DB_RETRY_ATTEMPTS, DB_RETRY_BASE_SECONDS)."""
    try:
        yield
    except TRANSIENT_ERRORS as error:
        settings = get_settings()
        wait = backoff_seconds(context.retry_number, settings.DB_RETRY_BASE_SECONDS)
        context.log.warning(
            f"transient database error (attempt {context.retry_number + 1} of "
            f"{settings.DB_RETRY_ATTEMPTS + 1}): {type(error).__name__}: {error}; retrying in {wait:.0f}s"
        )
        raise dg.RetryRequested(max_retries=settings.DB_RETRY_ATTEMPTS, seconds_to_wait=wait) from error
