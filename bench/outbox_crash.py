"""kill -9 the outbox worker mid-delivery and restart it: `python -m bench.outbox_crash`

300 notices to 300 chats are queued in a fresh database; the production `OutboxWorker` runs in
a subprocess at Telegram's pace (30 messages/s) against a Bot API on loopback HTTP; after 100
messages have arrived the process is killed with SIGKILL, reaped, and started again. Printed:
notices lost (must be 0), sent twice (at most the messages in flight), how many pending rows
were still leased to the dead process (before leases had owners, these waited the full lease,
10 minutes), and the delay from the restart to the first and the last message (includes the
new process's Python start-up). `--database` takes a PostgreSQL URL to measure there instead.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from app.delivery import OVERALL_PER_SECOND
from tests.support.outbox_crash import MAX_SENT_TWICE, crash_and_restart


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--notices", type=int, default=300)
    parser.add_argument("--kill-after", type=int, default=100)
    parser.add_argument("--per-second", type=int, default=OVERALL_PER_SECOND)
    parser.add_argument("--database", help="an empty database URL (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite+aiosqlite:///{Path(folder) / 'crash.sqlite3'}"
        figures = crash_and_restart(
            url, notices=args.notices, kill_after=args.kill_after, overall=args.per_second
        )
    print(f"notices queued:                       {figures.notices}")
    print(f"received before kill -9:              {figures.received_before_kill}")
    print(f"pending rows leased to the dead one:  {figures.held_by_dead_process}")
    print(f"lost:                                 {figures.lost}  (must be 0)")
    bound = f"(at most {MAX_SENT_TWICE})"
    print(f"sent twice:                           {figures.sent_twice}  {bound}")
    print(f"restart → first message:              {figures.first_after_restart:.2f} s")
    print(f"restart → last message:               {figures.all_after_restart:.2f} s")
    print(f"still pending after the restart run:  {figures.pending_after}")


if __name__ == "__main__":
    main()
