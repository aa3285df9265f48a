"""The harness's replicas: two webhook processes of one bot on one PostgreSQL database behind
the emulator's load balancer. Each takes its turn; when one is killed, the other answers.
(The replica scenarios of issue 12 build on this: tests/e2e/harness.py.)"""

from __future__ import annotations

from collections.abc import Callable

from tests.e2e.harness import Fleet, shown


def test_webhook_replicas_take_turns_and_one_killed_leaves_the_other_answering(
    fleet: Fleet, database_factory: Callable[[str], str]
) -> None:
    first, second = fleet.replicas(2, database_url=database_factory("postgresql"), mode="webhook")
    user = first.user(4270)

    answered_by = []
    for query in ("Eriksdalsskolan", "Skarpnäck"):
        calls = user.send(query)
        assert query in shown(calls)[0]
        answered_by.append({c.replica for c in calls if c.method == "sendMessage"})
    assert answered_by == [{first.name}, {second.name}]  # round robin, as a load balancer

    first.kill()
    for query in ("Bromma", "Fridhemsskolan"):
        calls = user.send(query)
        assert query in shown(calls)[0]
        assert {c.replica for c in calls if c.method == "sendMessage"} == {second.name}
    deliveries = first.emulator.status(first.token)["webhook"]["deliveries"]
    assert [d["status"] for d in deliveries] == [200] * 4  # a refused connection is skipped
