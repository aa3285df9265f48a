"""The shipped concern-report guide loads, matches domain.md, and broken YAML is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.services.guide_mermaid import to_mermaid
from knowledge.errors import KnowledgeError, Problem
from knowledge.guide import (
    CONTACT_KINDS,
    GUIDE_DIR,
    TELEGRAM_TEXT_LIMIT,
    Guide,
    GuideNode,
    LocalText,
    html_problems,
    load_guide,
    shipped_guide,
)

ROOT = Path(__file__).resolve().parent.parent
BROKEN = Path(__file__).resolve().parent / "fixtures" / "guide_broken"
MAX_PATH_LENGTH = 25  # steps; the full path with the acute branch has 21
SOFT_TEXT_LIMIT = 700  # people read this on a phone while worried


def all_paths(guide: Guide) -> list[tuple[str, ...]]:
    """Every way through the guide from start to an end (depth-first over options)."""
    paths: list[tuple[str, ...]] = []

    def walk(path: tuple[str, ...]) -> None:
        assert len(path) <= MAX_PATH_LENGTH, f"path too long: {path}"
        node = guide.node(path[-1])
        if not node.targets:
            paths.append(path)
        for target in node.targets:
            walk((*path, target))

    walk((guide.start,))
    return paths


def texts(node: GuideNode) -> list[str]:
    out = [node.text.sv, node.text.en]
    if node.title:
        out += [node.title.sv, node.title.en]
    for option in node.options:
        out += [option.label.sv, option.label.en]
    return out


def path_through(guide: Guide, answers: dict[str, str]) -> list[GuideNode]:
    """Walk from start, answering questions by their checklist topic or id; next otherwise."""
    node = guide.node(guide.start)
    walked = [node]
    while node.targets:
        if node.kind == "question":
            wanted = answers[node.topic or node.id]
            option = node.option(wanted)
            assert option is not None, f"{node.id} has no option {wanted}"
            node = guide.node(option.next)
        else:
            assert node.next is not None
            node = guide.node(node.next)
        walked.append(node)
    return walked


SHORT = {"acute": "nej", "role": "kort", "guardians": "nej"}
FULL = {"acute": "nej", "role": "utforlig", "guardians": "nej"}


# --- the shipped guide -----------------------------------------------------------------------


def test_shipped_guide_loads_and_is_cached() -> None:
    guide = load_guide()
    assert len(guide.nodes) >= 20
    assert guide.has_node(guide.start)
    assert shipped_guide() is shipped_guide()


def test_every_path_ends_at_a_terminal_checklist() -> None:
    guide = shipped_guide()
    paths = all_paths(guide)
    # acute yes/today/unsure/no × short/full × guardians yes/no
    assert len(paths) == 16
    for path in paths:
        end = guide.node(path[-1])
        assert end.terminal and end.kind == "checklist", path


def test_every_node_lies_on_some_path() -> None:
    guide = shipped_guide()
    on_paths = {node_id for path in all_paths(guide) for node_id in path}
    assert on_paths == {node.id for node in guide.nodes}


def test_acute_danger_is_the_first_question_and_every_answer_but_no_shows_whom_to_call() -> None:
    guide = shipped_guide()
    first = guide.node(guide.start)
    assert first.kind == "question"
    assert first.topic == "acute"
    assert "akut fara" in first.text.sv and "acute danger" in first.text.en
    assert [option.id for option in first.options] == ["ja", "idag", "vet_inte", "nej"]
    for answer in ("ja", "idag", "vet_inte"):
        option = first.option(answer)
        assert option is not None
        # The very next screen names whom to call now: 112, and social services (the
        # socialjour after office hours, the child's intake unit during them).
        step = guide.node(option.next)
        assert step.kind == "contact" and step.contact == "social_services_now", answer
        assert "112" in step.text.sv and "112" in step.text.en
        assert step.next == "role"
    assert "112" in guide.node("acute_112").text.sv
    no = first.option("nej")
    assert no is not None and no.next == "role"


def test_the_choice_of_path_comes_right_after_the_acute_question() -> None:
    guide = shipped_guide()
    role = guide.node("role")
    assert role.kind == "question"
    assert [option.id for option in role.options] == ["kort", "utforlig"]
    short, full = path_through(guide, SHORT), path_through(guide, FULL)
    assert [n.id for n in short[:2]] == [n.id for n in full[:2]] == ["acute", "role"]
    assert len(short) < len(full)


@pytest.mark.parametrize("path", ["kort", "utforlig"])
def test_abuse_by_a_guardian_leads_to_contacting_social_services_first(path: str) -> None:
    guide = shipped_guide()
    walked = path_through(guide, {"acute": "nej", "role": path, "guardians": "ja"})
    question = next(n for n in walked if n.kind == "question" and n.topic == "guardians")
    assert "vårdnadshavare" in question.text.sv
    for word in ("våld", "övergrepp", "sexuella övergrepp", "hedersrelaterat våld"):
        assert word in question.text.sv
    after = walked[walked.index(question) + 1]
    assert "Kontakta socialtjänsten först" in after.text.sv
    assert "Berätta inte för vårdnadshavarna" in after.text.sv + (after.title or after.text).sv
    assert "Contact social services first" in after.text.en
    assert "not tell the guardians" in after.text.en + (after.title or after.text).en


@pytest.mark.parametrize("path", ["kort", "utforlig"])
def test_otherwise_the_guardians_are_told_openly(path: str) -> None:
    guide = shipped_guide()
    walked = path_through(guide, {"acute": "nej", "role": path, "guardians": "nej"})
    question = next(n for n in walked if n.kind == "question" and n.topic == "guardians")
    after = walked[walked.index(question) + 1]
    assert "Berätta" in after.text.sv and "vårdnadshavarna" in after.text.sv
    assert "först" not in after.text.sv


@pytest.mark.parametrize("answers", [SHORT, FULL], ids=["short", "full"])
def test_both_paths_cover_the_duty_and_show_both_directory_contacts(
    answers: dict[str, str],
) -> None:
    walked = path_through(shipped_guide(), answers)
    contacts = [n.contact for n in walked if n.kind == "contact"]
    assert contacts == ["intake_for_child_area", "school_cooperation"]
    body = "\n".join(n.text.sv for n in walked)
    for fact in (
        "fristående",  # municipal and independent schools alike
        "under 18",
        "misstanke räcker",
        "inte skolans uppgift att utreda",
        "anonymt",
        "folkbokfört",
        "annan kommun",
        "skriftligt",
        "vanlig e-post",
        "14 dagar",
        "anmälningsmöte",
        "skolans egna system",
    ):
        assert fact in body.lower() or fact in body, fact
    assert re.search(r"kan inte (lämna över|delegeras)", body)
    assert "även om någon annan redan har anmält" in body
    assert "utan att säga vem barnet är" in body


def test_the_full_path_covers_what_happens_next_and_cooperation() -> None:
    body = "\n".join(n.text.sv for n in path_through(shipped_guide(), FULL))
    for fact in (
        "skyddsbedömning",
        "förhandsbedömning",
        "BBIC",
        "fyra månader",
        "inlett",
        "SIP",
        "samtycke",
        "BUS",
        "alla parter",
        "skolsociala team",
        "RSU",
        "CSU",
        "samma vägar",
    ):
        assert fact in body, fact


def test_law_is_cited_by_the_2025_act_and_old_paragraphs_only_as_former() -> None:
    guide = shipped_guide()
    all_sv = [n.text.sv for n in guide.nodes]
    all_en = [n.text.en for n in guide.nodes]
    assert any("socialtjänstlagen (2025:400)" in t.lower() for t in all_sv)
    # domain.md §2.1: no paragraph number of the new law; old ones only as "tidigare".
    # Other laws' paragraphs only where verified (OSL 10 kap. 28 §: secrecy does not stop it).
    verified_sv = re.compile(r"10 kap\. 28 § offentlighets- och sekretesslagen")
    verified_en = re.compile(r"chapter 10, section 28 of the Public Access to Information")
    for text in all_sv:
        cited = re.findall(r"\d+\s*kap\.", text)
        former = re.findall(r"tidigare\s+\d+\s*kap\.", text, flags=re.IGNORECASE)
        assert len(cited) == len(former) + len(verified_sv.findall(text)), text
    for text in all_en:
        cited = re.findall(r"chapter\s+\d+", text)
        former = re.findall(r"formerly\s+chapter\s+\d+", text, flags=re.IGNORECASE)
        assert len(cited) == len(former) + len(verified_en.findall(text)), text
    assert any(re.search(r"tidigare 14 kap\. 1 § SoL", t, re.IGNORECASE) for t in all_sv)


def test_no_phone_numbers_other_than_112() -> None:
    for node in shipped_guide().nodes:
        for text in texts(node):
            numbers = re.findall(r"\+?\d[\d\s-]{3,}\d", text)
            assert not [n for n in numbers if not re.fullmatch(r"20\d\d", n.strip())], (
                node.id,
                numbers,
            )


def test_every_node_has_source_and_both_languages_and_short_texts() -> None:
    for node in shipped_guide().nodes:
        assert node.source.strip(), node.id
        # The project's fact sheet, the city's texts, or a public page named by its address.
        assert re.search(r"domain\.md §|sources/\d{3}|DESIGN\.md|https?://", node.source), node.id
        for text in texts(node):
            assert text.strip(), node.id
            assert not html_problems(text), (node.id, html_problems(text))
        for lang in ("sv", "en"):
            assert len(node.text.get(lang)) <= SOFT_TEXT_LIMIT, (node.id, lang)


def test_checklists_name_every_topic_passed_and_the_contacts() -> None:
    guide = shipped_guide()
    short_end = path_through(guide, SHORT)[-1]
    full_end = path_through(guide, FULL)[-1]
    assert set(full_end.checkpoints) == set(guide.topic_ids)
    assert "feedback" not in short_end.checkpoints
    for end in (short_end, full_end):
        assert set(end.contacts) == CONTACT_KINDS - {"social_services_now"}


# --- broken files ----------------------------------------------------------------------------


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(KnowledgeError) as caught:
        load_guide(path)
    return caught.value.problems


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    hits = [number for number, line in enumerate(lines, start=1) if needle in line]
    return hits[occurrence - 1]


@pytest.mark.parametrize(
    ("fixture", "node", "field", "message", "needle", "occurrence"),
    [
        ("dangling_target", "call", "next", "målet 'nope' finns inte", "next: nope", 1),
        ("unreachable_node", "orphan", "id", "går inte att nå från start", "id: orphan", 1),
        ("missing_english", "call", "text.en", "texten på en saknas", "text:", 2),
        ("text_too_long", "call", "text.sv", f"tillåter {TELEGRAM_TEXT_LIMIT}", "text:", 2),
        ("duplicate_id", "call", "id", "finns redan", "id: call", 2),
    ],
)
def test_validator_rejects_broken_fixture_naming_file_line_node_and_field(
    fixture: str, node: str, field: str, message: str, needle: str, occurrence: int
) -> None:
    path = BROKEN / f"{fixture}.yaml"
    problems = problems_of(path)
    assert len(problems) == 1, problems  # the fixture breaks exactly one rule
    problem = problems[0]
    assert problem.file == f"tests/fixtures/guide_broken/{fixture}.yaml"
    assert problem.field == field
    assert f"nod '{node}'" in problem.message
    assert message in problem.message
    assert problem.line == line_of(path, needle, occurrence)
    assert str(problem).startswith(f"tests/fixtures/guide_broken/{fixture}.yaml, rad ")


def test_the_fixtures_differ_from_a_valid_guide_only_in_their_defect(tmp_path: Path) -> None:
    text = (BROKEN / "dangling_target.yaml").read_text(encoding="utf-8")
    fixed = tmp_path / "ok.yaml"
    fixed.write_text(text.replace("next: nope", "next: done"), encoding="utf-8")
    assert load_guide(fixed).node("call").next == "done"


def test_every_problem_is_listed_not_only_the_first(tmp_path: Path) -> None:
    text = (BROKEN / "dangling_target.yaml").read_text(encoding="utf-8")
    text = text.replace("source: test\n  - id: done", "source: ''\n  - id: done")
    text = text.replace("kind: emergency", "kind: alarm")
    path = tmp_path / "many.yaml"
    path.write_text(text, encoding="utf-8")
    fields = sorted((p.field or "") for p in problems_of(path))
    assert fields == ["kind", "next", "source"]


def test_one_typo_in_the_shipped_guide_gives_two_lines_not_a_cascade(tmp_path: Path) -> None:
    for source in GUIDE_DIR.glob("*.yaml"):
        (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    full = tmp_path / "20_full.yaml"
    text = full.read_text(encoding="utf-8")
    assert text.count("    next: f_write\n") == 1
    full.write_text(text.replace("    next: f_write\n", "    next: f_writ\n"), encoding="utf-8")
    messages = [str(p) for p in problems_of(tmp_path)]
    assert len(messages) == 2, messages
    assert "fält 'next': nod 'f_how': målet 'f_writ' finns inte" in messages[0]
    assert "nod 'f_write': noden går inte att nå från start (inte heller de 12 steg" in messages[1]


def test_a_dangling_option_is_reported_at_the_option_line(tmp_path: Path) -> None:
    text = (BROKEN / "dangling_target.yaml").read_text(encoding="utf-8")
    text = text.replace("next: nope", "next: done")
    text = text.replace("        next: done", "        next: dne")  # the option "nej"
    path = tmp_path / "option.yaml"
    path.write_text(text, encoding="utf-8")
    (problem,) = problems_of(path)
    assert problem.field == "options[1].next"
    assert problem.message == "nod 'acute': målet 'dne' finns inte"
    assert problem.line == line_of(path, "- id: nej")


def test_unquoted_yes_as_option_id_is_explained(tmp_path: Path) -> None:
    text = (BROKEN / "dangling_target.yaml").read_text(encoding="utf-8")
    text = text.replace("next: nope", "next: done").replace("id: ja", "id: yes")
    path = tmp_path / "yes.yaml"
    path.write_text(text, encoding="utf-8")
    messages = [str(p) for p in problems_of(path)]
    assert any("options[0].id" in m and "lästes inte som text" in m for m in messages), messages


def test_question_needs_two_options_and_known_contact_kinds(tmp_path: Path) -> None:
    text = (BROKEN / "dangling_target.yaml").read_text(encoding="utf-8")
    text = text.replace("next: nope", "next: done")
    text = text.replace("kind: emergency", "kind: contact\n    contact: police")
    path = tmp_path / "contact.yaml"
    path.write_text(text, encoding="utf-8")
    messages = [str(p) for p in problems_of(path)]
    assert any("fält 'contact'" in m and "okänd kontakt 'police'" in m for m in messages)


def test_yaml_syntax_error_names_the_line_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "syntax.yaml"
    path.write_text("start: a\nnodes:\n  - id: a\n    text: {sv: a?, en: b}\n", encoding="utf-8")
    problems = problems_of(path)
    assert len(problems) == 1 and problems[0].line == 4
    assert "ogiltig YAML" in problems[0].message


def test_html_checker_catches_what_telegram_rejects() -> None:
    assert html_problems("<b>Ring</b> 112 &amp; <i>socialjouren</i>") == []
    assert html_problems("A & B")
    assert html_problems("<b>oavslutad")
    assert html_problems("<a href='x'>länk</a>")
    assert html_problems("1 < 2")
    assert html_problems("<b><i>fel</b></i>")


def test_local_text_falls_back_to_swedish() -> None:
    text = LocalText("hej", "hello")
    assert text.get("en") == text.get("en-GB") == "hello"
    assert text.get("sv") == text.get(None) == text.get("de") == "hej"
    assert LocalText("hej", "").get("en") == "hej"


def test_guide_dir_holds_only_guide_files() -> None:
    assert sorted(p.name for p in GUIDE_DIR.glob("*.yaml")) == [
        "00_start.yaml",
        "10_short.yaml",
        "20_full.yaml",
    ]


# --- the diagram in docs/guide.md ------------------------------------------------------------


def test_docs_contain_exactly_the_current_diagram() -> None:
    docs = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```mermaid\n(.*?)```", docs, flags=re.DOTALL)
    assert blocks == [to_mermaid(shipped_guide())], (
        "docs/guide.md is stale: regenerate it with `kontaktlotsen guide --mermaid`"
    )


def test_mermaid_has_every_node_and_edge_and_escapes_labels(tmp_path: Path) -> None:
    guide = shipped_guide()
    diagram = to_mermaid(guide)
    assert diagram.startswith("flowchart TD\n")
    for node in guide.nodes:
        assert f"n_{node.id}" in diagram
        for option in node.options:
            assert f'n_{node.id} -->|"{option.label.sv}"| n_{option.next}' in diagram
    text = (BROKEN / "dangling_target.yaml").read_text(encoding="utf-8")
    text = text.replace("next: nope", "next: done")
    text = text.replace(
        "text: {sv: Ring 112 nu., en: Call 112 now.}",
        "title: {sv: 'Säg \"hjälp\" & <b>ring</b>', en: 'Say &amp; call'}\n"
        "    text: {sv: Ring 112 nu., en: Call 112 now.}",
    )
    path = tmp_path / "quotes.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError):  # a bare & is not valid Telegram HTML…
        load_guide(path)
    path.write_text(text.replace(" & <b>", " &amp; <b>"), encoding="utf-8")
    diagram = to_mermaid(load_guide(path))  # …but escaped text must come out safe in Mermaid
    assert 'n_call[["Säg #34;hjälp#34; #38; ring"]]' in diagram
    assert "<b>" not in diagram
