"""Issue 12's replica scenarios, as processes over real HTTP (tests/e2e/harness.py), on
PostgreSQL (SQLite takes one instance only; skipped without TEST_DATABASE_URL):

* a wizard continued on another replica: two webhook replicas behind the emulator's load
  balancer take the steps of /overlamning in turn, one restarts half-way, and the handover is
  recorded once;
* two replicas with the leader killed mid-delivery: only the leader polls, the standby takes
  over, no notice is lost and at most the batch in flight is sent twice.
Figures at Telegram's pace, with reminders: `python -m bench.replicas`.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable

from app.delivery import CONCURRENCY
from tests.e2e.harness import Call, Fleet, User, shown
from tests.support.replicas import FIRST_CHAT, queue_notices

ADMIN = 4271
NOTICES = 120
ANSWERS = ("sendMessage", "editMessageText")


def step(user: User, answered_by: list[str], label: str | None = None, *, text: str = "") -> str:
    """Type `text` or press `label`; note which replica answered; the first text shown."""
    calls = user.press(label) if label is not None else user.send(text)
    answered_by += sorted({c.replica for c in calls if c.method in ANSWERS})
    return shown(calls)[0]


def test_a_wizard_continued_on_another_replica(
    fleet: Fleet, database_factory: Callable[[str], str]
) -> None:
    url = database_factory("postgresql")
    one, two = fleet.replicas(2, database_url=url, mode="webhook", city_admins=(ADMIN,))
    admin = one.user(ADMIN)
    by: list[str] = []
    assert "vilken skola eller vilket område" in step(admin, by, text="/overlamning")
    assert "Vad heter den nya kontaktpersonen?" in step(admin, by, "Kungsholmen")
    assert "Vilken titel har hen?" in step(admin, by, text="Sara Ek")
    assert "Vilket telefonnummer?" in step(admin, by, "Hoppa över")
    assert "Vilken e-postadress?" in step(admin, by, text="08-465 004 20")
    one.restart()  # mid-wizard: its memory is gone, the database is not
    assert "När går hen att nå?" in step(admin, by, "Hoppa över")
    assert "Från vilket datum" in step(admin, by, "Hoppa över")
    assert "notering" in step(admin, by, "Idag")
    summary = step(admin, by, "Hoppa över")
    assert "Stämmer det här?" in summary and "Sara Ek" in summary and "08-465 004 20" in summary
    assert "Klart! Sara Ek är kontaktperson" in step(admin, by, "✅ Bekräfta")
    # Every step was answered by one replica, and both answered steps of the one wizard.
    assert len(by) == 10 and set(by) == {one.name, two.name}


def notices(calls: list[Call]) -> list[Call]:
    return [
        c
        for c in calls
        if c.method == "sendMessage" and c.chat_id is not None and c.chat_id >= FIRST_CHAT
    ]


def test_two_replicas_with_the_leader_killed_mid_delivery(
    fleet: Fleet, database_factory: Callable[[str], str]
) -> None:
    url = database_factory("postgresql")
    leader, standby = fleet.replicas(2, database_url=url)
    leader.wait_for_log("now leads")
    standby.wait_for_log("Standing by: another instance polls Telegram")
    emulator = fleet.emulator
    seq = emulator.last_seq()
    asyncio.run(queue_notices(url, NOTICES))
    calls: list[Call] = []
    while len(notices(calls)) < NOTICES // 3:
        more, seq = emulator.calls(leader.token, seq, timeout=10)
        assert more, "the leader delivered nothing"
        calls += more
    assert standby.calls_made("getUpdates") == 0  # one poller: Telegram never answers 409
    leader.kill()
    killed_at = time.monotonic()
    while standby.calls_made("getUpdates") == 0:
        assert time.monotonic() - killed_at < 30, "the standby never took over"
        time.sleep(0.05)
    took_over = time.monotonic() - killed_at
    deadline = time.monotonic() + 90
    while len({c.chat_id for c in notices(calls)}) < NOTICES:
        assert time.monotonic() < deadline, "not every notice arrived"
        more, seq = emulator.calls(leader.token, seq, timeout=5)
        calls += more
    assert took_over < 10  # the standby tries the lock every 2 s
    per_chat = Counter(c.chat_id for c in notices(calls))
    assert len(per_chat) == NOTICES  # none lost
    assert sum(n - 1 for n in per_chat.values()) <= CONCURRENCY  # at most those in flight
    by_replica = Counter(c.replica for c in notices(calls))
    assert by_replica[leader.name] >= NOTICES // 3 and by_replica[standby.name] > 0
