"""The pure guide engine: moving, going back along the path taken, stale buttons, storing."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bot.services import guide as engine
from bot.services.guide import GuidePosition, InvalidAnswer, InvalidPosition, StaleStep
from knowledge.guide import Guide, shipped_guide


@pytest.fixture
def guide() -> Guide:
    return shipped_guide()


def walk(guide: Guide, *answers: str) -> GuidePosition:
    position = engine.start(guide)
    for answer in answers:
        position = engine.advance(guide, position, answer)
    return position


def walk_to_end(guide: Guide, choices: dict[str, str]) -> GuidePosition:
    """Answer questions from `choices` (by node id), press "next" everywhere else."""
    position = engine.start(guide)
    while not engine.is_finished(guide, position):
        node = engine.current_node(guide, position)
        answer = choices[node.id] if node.kind == "question" else "next"
        position = engine.advance(guide, position, answer)
    return position


SHORT_NO_ACUTE = {"acute": "nej", "role": "kort", "s_guardians": "nej"}
SHORT_ACUTE = {"acute": "ja", "role": "kort", "s_guardians": "ja"}
FULL_NO_ACUTE = {"acute": "nej", "role": "utforlig", "f_guardians": "ja"}
FULL_ACUTE = {"acute": "ja", "role": "utforlig", "f_guardians": "nej"}


def test_start_is_the_acute_danger_question(guide: Guide) -> None:
    position = engine.start(guide)
    assert position == GuidePosition(("acute",))
    assert engine.current_node(guide, position).kind == "question"
    assert not engine.can_go_back(position)


def test_acute_answers_show_whom_to_call_next_then_the_choice(guide: Guide) -> None:
    for answer in ("ja", "idag", "vet_inte"):
        position = walk(guide, answer)
        assert engine.current_node(guide, position).contact == "social_services_now"
        assert walk(guide, answer, "next").current == "role"
    assert walk(guide, "nej").current == "role"


@pytest.mark.parametrize(
    ("choices", "steps"),
    [(SHORT_NO_ACUTE, 15), (SHORT_ACUTE, 16), (FULL_NO_ACUTE, 23), (FULL_ACUTE, 24)],
    ids=["short", "short+acute", "full", "full+acute"],
)
def test_each_path_ends_finished_at_a_checklist(
    guide: Guide, choices: dict[str, str], steps: int
) -> None:
    position = walk_to_end(guide, choices)
    assert len(position.path) == steps
    assert engine.is_finished(guide, position)
    assert engine.current_node(guide, position).kind == "checklist"
    assert engine.buttons(guide, position) == []
    with pytest.raises(InvalidAnswer):
        engine.advance(guide, position, "next")


def test_advance_returns_a_new_position_and_leaves_the_old_one(guide: Guide) -> None:
    first = engine.start(guide)
    second = engine.advance(guide, first, "nej")
    assert first.path == ("acute",)
    assert second.path == ("acute", "role")
    with pytest.raises(dataclasses.FrozenInstanceError):
        second.path = ()  # type: ignore[misc]
    with pytest.raises(ValueError):
        GuidePosition(())


@pytest.mark.parametrize(
    ("answers", "bad"),
    [((), "next"), ((), "maybe"), (("nej", "kort"), "ja"), (("nej", "kort"), "back")],
    ids=["next-on-question", "unknown-option", "option-on-info", "navigation-as-answer"],
)
def test_invalid_answers_are_refused(guide: Guide, answers: tuple[str, ...], bad: str) -> None:
    position = walk(guide, *answers)
    with pytest.raises(InvalidAnswer) as caught:
        engine.advance(guide, position, bad)
    assert caught.value.node_id == position.current
    assert caught.value.answer == bad


def test_back_follows_the_path_taken_not_the_graph(guide: Guide) -> None:
    # "role" can be reached from "acute" and from "acute_112"; back goes the way we came.
    via_acute = walk(guide, "ja", "next")
    assert via_acute.current == "role"
    assert engine.back(guide, via_acute).current == "acute_112"
    assert engine.back(guide, walk(guide, "nej")).current == "acute"
    # "s_how" has two parents too.
    told = walk(guide, "nej", "kort", "next", "next", "next", "next", "nej", "next")
    not_told = walk(guide, "nej", "kort", "next", "next", "next", "next", "ja", "next")
    assert told.current == not_told.current == "s_how"
    assert engine.back(guide, told).current == "s_tell"
    assert engine.back(guide, not_told).current == "s_no_tell"


def test_back_then_a_different_answer_forgets_the_old_branch(guide: Guide) -> None:
    position = walk(guide, "nej", "kort", "next", "next", "next", "next", "ja")
    position = engine.advance(guide, engine.back(guide, position), "nej")
    assert position.path[-2:] == ("s_guardians", "s_tell")
    assert "s_no_tell" not in position.path


def test_back_at_the_start_stays_at_the_start(guide: Guide) -> None:
    position = engine.start(guide)
    assert engine.back(guide, position) == position
    assert engine.back(guide, engine.back(guide, walk(guide, "nej"))) == position


def test_restart_forgets_the_path(guide: Guide) -> None:
    position = walk_to_end(guide, SHORT_NO_ACUTE)
    assert engine.apply(guide, position, position.current, engine.RESTART).path == ("acute",)


def test_a_button_from_an_old_message_is_stale(guide: Guide) -> None:
    position = walk(guide, "nej")  # now at "role"; the acute question's message is old
    with pytest.raises(StaleStep) as caught:
        engine.apply(guide, position, "acute", "ja")
    assert (caught.value.node_id, caught.value.current) == ("acute", "role")
    with pytest.raises(StaleStep):
        engine.apply(guide, position, "acute", engine.BACK)
    # The same answer from the current message works, and restart works from any message.
    assert engine.apply(guide, position, "role", "kort").current == "s_duty"
    assert engine.apply(guide, position, "acute", engine.RESTART) == engine.start(guide)


def test_apply_goes_back_only_from_the_current_message(guide: Guide) -> None:
    position = walk(guide, "nej", "kort")
    assert engine.apply(guide, position, "s_duty", engine.BACK).current == "role"
    with pytest.raises(InvalidAnswer):
        engine.apply(guide, position, "s_duty", engine.CANCEL)


def test_covered_topics_follow_the_path_in_checklist_order(guide: Guide) -> None:
    short = walk_to_end(guide, SHORT_NO_ACUTE)
    full = walk_to_end(guide, FULL_ACUTE)
    assert engine.covered_topics(guide, full) == list(guide.topic_ids)
    covered_short = engine.covered_topics(guide, short)
    assert "feedback" not in covered_short and "cooperation" not in covered_short
    assert covered_short == [t for t in guide.topic_ids if t in covered_short]
    assert engine.covered_topics(guide, walk(guide, "nej", "kort")) == ["acute", "duty"]


def test_checklist_ticks_exactly_the_topics_passed(guide: Guide) -> None:
    for choices in (SHORT_NO_ACUTE, SHORT_ACUTE, FULL_NO_ACUTE, FULL_ACUTE):
        position = walk_to_end(guide, choices)
        items = engine.checklist(guide, position)
        node = engine.current_node(guide, position)
        assert [item.topic.id for item in items] == [
            t for t in guide.topic_ids if t in node.checkpoints
        ]
        assert all(item.covered for item in items), choices
    early = engine.checklist(guide, walk(guide, "nej"))
    assert [item.covered for item in early][:2] == [True, False]


def test_progress_shows_a_total_only_once_the_path_is_chosen(guide: Guide) -> None:
    # Before the choice of path the total would jump with each answer: none is shown.
    assert engine.progress(guide, engine.start(guide)) == (1, None)
    assert engine.progress(guide, walk(guide, "nej")) == (2, None)
    assert engine.progress(guide, walk(guide, "ja")) == (2, None)
    # After it, the path's own total, the same on every step of the path.
    totals = set()
    position = walk(guide, "nej", "kort")
    while not engine.is_finished(guide, position):
        number, total = engine.progress(guide, position)
        assert number == len(position.path)
        totals.add(total)
        answers = engine.current_node(guide, position).answers
        position = engine.advance(guide, position, answers[0])
    assert totals == {15}
    assert engine.progress(guide, walk_to_end(guide, FULL_NO_ACUTE)) == (23, 23)


def test_a_position_survives_json_and_a_restart(guide: Guide) -> None:
    position = walk(guide, "ja", "next", "utforlig", "next")
    stored = json.loads(json.dumps(engine.dump_position(position)))
    assert stored == {"v": 1, "path": list(position.path)}
    assert engine.load_position(guide, stored) == position


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "acute",
        {"path": ["acute"]},
        {"v": 2, "path": ["acute"]},
        {"v": 1, "path": []},
        {"v": 1, "path": ["acute", "gone"]},
        {"v": 1, "path": ["role"]},
        {"v": 1, "path": ["acute", "s_duty"]},
        {"v": 1, "path": ["acute", 7]},
    ],
    ids=[
        "none",
        "string",
        "no-version",
        "new-version",
        "empty",
        "unknown-node",
        "not-from-start",
        "not-an-edge",
        "not-a-string",
    ],
)
def test_a_stored_position_that_no_longer_fits_is_dropped(guide: Guide, stored: object) -> None:
    assert engine.load_position(guide, stored) is None


def test_an_unknown_current_node_is_an_invalid_position(guide: Guide) -> None:
    with pytest.raises(InvalidPosition):
        engine.advance(guide, GuidePosition(("acute", "gone")), "next")


def test_callback_data_round_trips_and_fits_telegram(guide: Guide) -> None:
    for node in guide.nodes:
        for action in (*node.answers, engine.BACK, engine.RESTART, engine.CANCEL):
            data = engine.encode_callback(node.id, action)
            assert len(data.encode("utf-8")) <= 64
            assert engine.decode_callback(guide, data) == (node.id, action)
    longest = engine.encode_callback("x" * 24, "y" * 24)
    assert len(longest.encode()) <= 64
    for bad in ("", "g:acute", "x:acute:ja", "g:acute:ja:extra", "g:Acute:ja", "g:acute:"):
        assert engine.decode_callback(guide, bad) is None


@pytest.mark.parametrize(
    "data",
    ["g:nope:next", "g:acute:next", "g:role:ja", "g:s_duty:kort", "g:role:drop_table"],
    ids=["unknown-step", "next-on-a-question", "other-steps-option", "option-on-info", "made-up"],
)
def test_data_the_guide_cannot_have_made_is_not_decoded(guide: Guide, data: str) -> None:
    # Well-formed, but no step ever offered it: refused as forged, never reported as stale.
    assert engine.decode_callback(guide, data) is None


def test_buttons_carry_labels_for_questions_and_next_elsewhere(guide: Guide) -> None:
    first = engine.buttons(guide, engine.start(guide))
    assert [b.data for b in first] == [
        "g:acute:ja",
        "g:acute:idag",
        "g:acute:vet_inte",
        "g:acute:nej",
    ]
    assert first[0].label is not None and first[0].label.get("en") == "Yes, acute danger"
    plain = engine.buttons(guide, walk(guide, "nej", "kort"))
    assert [(b.label, b.data) for b in plain] == [(None, "g:s_duty:next")]
    for button in first + plain:
        assert engine.decode_callback(guide, button.data) is not None
