"""kill -9 mid-delivery: nothing lost, at most the messages in flight sent twice, and the
restarted process delivers the rest in its first run instead of waiting for the lease."""

from __future__ import annotations

from pathlib import Path

from tests.support.outbox_crash import MAX_SENT_TWICE, crash_and_restart


def test_a_killed_worker_loses_nothing_and_repeats_only_what_was_in_flight(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.sqlite3'}"
    figures = crash_and_restart(url, notices=300, kill_after=100, overall=400)
    assert figures.received_before_kill < figures.notices  # it died mid-delivery
    assert figures.held_by_dead_process > 0  # rows were leased to it when it died
    assert figures.lost == 0
    assert figures.pending_after == 0  # the restart's own run delivered them: no lease wait
    assert figures.sent_twice <= MAX_SENT_TWICE
