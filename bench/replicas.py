"""Two bot processes on one PostgreSQL database, the leader killed mid-delivery:
`python -m bench.replicas`

Both run the production service in polling mode against a recording Bot API on loopback HTTP
(`tests/support/replicas.py`). The first leads (polls, runs the jobs), the second stands by;
300 notices are queued; after 100 have arrived the leader gets SIGKILL. Printed: the failover
time (SIGKILL → the standby's first getUpdates) and until the first notice from the new leader,
notices lost (must be 0) and sent twice (at most the batch in flight), and agreement reminders
sent per due reminder (must be 1; it is due every few seconds on the same moments in both
processes). `--server` is a PostgreSQL server URL; a fresh database is made on it and dropped.
"""

from __future__ import annotations

import argparse
import os

from app.delivery import CONCURRENCY
from tests.support.replicas import failover, fresh_database

DEFAULT_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--notices", type=int, default=300)
    parser.add_argument("--kill-after", type=int, default=100)
    parser.add_argument("--server", default=os.environ.get("TEST_DATABASE_URL", DEFAULT_SERVER))
    args = parser.parse_args()
    with fresh_database(args.server) as url:
        figures = failover(url, notices=args.notices, kill_after=args.kill_after)
    per_due = figures.reminders_sent / figures.due_reminders if figures.due_reminders else 0.0
    print(f"notices queued:                          {figures.notices}")
    print(f"received before SIGKILL of the leader:   {figures.received_before_kill}")
    print(f"standby polled while the leader lived:   {figures.polled_by_standby_before_kill}")
    print(f"failover (SIGKILL → standby polls):      {figures.failover_seconds:.2f} s")
    print(f"SIGKILL → first notice from new leader:  {figures.resumed_seconds:.2f} s")
    print(f"notices lost:                            {figures.lost}  (must be 0)")
    print(
        f"notices sent twice:                      {figures.sent_twice}  (at most {CONCURRENCY})"
    )
    print(
        f"reminders per due reminder:              {per_due:.2f}  "
        f"({figures.reminders_sent} for {figures.due_reminders} due; at most "
        f"{figures.most_for_one_due} for one; must be 1)"
    )
    print(f"replica logs:                            {figures.log_file}")


if __name__ == "__main__":
    main()
