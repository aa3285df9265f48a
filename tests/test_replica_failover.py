"""Two bot processes on PostgreSQL; the leader gets SIGKILL mid-delivery (issue 12).

The production service in two processes over real HTTP (`tests/support/replicas.py`); figures
at Telegram's pace: `python -m bench.replicas`. Skipped without TEST_DATABASE_URL.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.delivery import CONCURRENCY
from tests.support.replicas import failover, fresh_database

FAILOVER_LIMIT_SECONDS = 10  # the bound; the standby tries the lock every 2 s


def test_the_standby_takes_over_and_nothing_is_lost_or_sent_twice_beyond_the_batch(
    tmp_path: Path,
) -> None:
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        pytest.skip("TEST_DATABASE_URL is not set")
    with fresh_database(server) as url:
        figures = failover(url, notices=90, kill_after=30, log_dir=tmp_path)
    assert figures.polled_by_standby_before_kill == 0  # one poller at a time: no 409
    assert figures.failover_seconds < FAILOVER_LIMIT_SECONDS
    assert figures.lost == 0
    assert figures.sent_twice <= CONCURRENCY  # at most the messages in flight
    # Due on the same moments in both processes, sent by the leader only: once each.
    assert figures.due_reminders >= 2
    assert figures.reminders_sent == figures.due_reminders
    assert figures.most_for_one_due == 1
