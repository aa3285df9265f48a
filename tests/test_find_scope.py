"""`DirectoryIndex.find_scope`: the one rule for turning a typed name into a school or area."""

from __future__ import annotations

from bot.runtime import Services


async def test_a_confident_school_is_chosen(services: Services) -> None:
    found = services.index.find_scope("eriksdalskolan")
    assert found.chosen is not None
    assert found.chosen.name == "Eriksdalsskolan"
    assert found.chosen.key.startswith("s:")
    assert found.chosen.area_id == "sodermalm"
    assert not found.outside


async def test_an_area_by_its_old_name_is_chosen_as_the_area(services: Services) -> None:
    found = services.index.find_scope("Rinkeby-Kista")
    assert found.chosen is not None
    assert found.chosen.key == "a:jarva"


async def test_an_unsure_name_offers_candidates_and_chooses_none(services: Services) -> None:
    found = services.index.find_scope("Vasa")
    assert found.chosen is None
    assert [c.name for c in found.candidates] == ["Vasa Real"]
    assert found.candidates[0].key.startswith("s:")


async def test_a_sure_area_still_lists_the_other_schools_and_areas_found(
    services: Services,
) -> None:
    found = services.index.find_scope("Farsta")
    assert found.chosen is not None and found.chosen.key == "a:farsta"
    assert "Farsta gymnasium" in [c.name for c in found.candidates]


async def test_another_municipality_is_outside_and_never_a_scope(services: Services) -> None:
    found = services.index.find_scope("Solna")
    assert found.outside
    assert found.chosen is None
    assert found.candidates == []


async def test_nothing_found_is_empty(services: Services) -> None:
    found = services.index.find_scope("Hogwarts")
    assert (found.chosen, found.candidates, found.outside) == (None, [], False)
