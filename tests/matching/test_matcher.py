"""The matcher's rules on cases written for them (not drawn from the labeled set)."""

from types import SimpleNamespace

import pytest

from approvals.services.workflow.matching import (
    CompanyIndex,
    Confidence,
    damerau_distance,
    name_reason,
    normalise_name,
    suggest_matches,
)


def company(pk, name, **fields):
    fields = {"legal_name": "", "tax_id": "", "email": "", "city": "", **fields}
    return SimpleNamespace(pk=pk, name=name, **fields)


def vendor(name, **fields):
    fields = {"company_name": "", "tax_id": "", "email": "", "city": "", **fields}
    return SimpleNamespace(display_name=name, **fields)


def suggested(vendors, companies):
    return suggest_matches(vendors, CompanyIndex(companies))


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("Hamilton Brothers Paving", "Hamilton Bros. Paving, Inc."),
        ("Quinn Mechanical", "QUINN MECH LLC"),
        ("Two Rivers Glass", "2 Rivers Glass"),
        ("Second Street Tile", "2nd Street Tile"),
        ("Löffler Steel", "Loffler Steel"),
        ("The Brick Works", "Brick Works, The"),
        ("R and S Welding", "R&S Welding"),
        ("Sawmill Supply", "Saw Mill Supply"),
        ("Kessler Drywall", "Kessler Drywall (1099) - use for Portland jobs"),
        ("Vance Electric", "Tomas Vance d/b/a Vance Electric"),
        ("Summit Rentals", "Summit Rentals - Store 31"),
        ("Orchard Painting", "z-Orchard Painting *old*"),
    ],
)
def test_one_business_written_two_ways_is_offered_to_link_all(ours, theirs):
    (suggestion,) = suggested([vendor(theirs)], [company(1, ours)])
    assert suggestion.for_link_all, suggestion.reason


def test_the_erp_company_name_counts_as_well_as_its_display_name():
    (suggestion,) = suggested(
        [vendor("Mike - tile sub", company_name="Bellweather Tile LLC")],
        [company(1, "Bellweather Tile")],
    )
    assert suggestion.for_link_all


def test_a_whole_tax_id_that_differs_vetoes_even_the_same_name():
    assert (
        suggested(
            [vendor("Harbor Steel", tax_id="93-1111111")],
            [company(1, "Harbor Steel", tax_id="93-2222222")],
        )
        == []
    )


def test_masked_digits_veto_when_they_differ_and_never_link_on_their_own():
    assert (
        suggested(
            [vendor("Harbor Steel", tax_id="XXXXXXX1111")],
            [company(1, "Harbor Steel", tax_id="93-2222")],
        )
        == []
    )
    assert (
        suggested(
            [vendor("Completely Other Name", tax_id="XXXXXXX2222")],
            [company(1, "Harbor Steel", tax_id="93-1112222")],
        )
        == []
    )


def test_a_shared_email_does_not_link_businesses_whose_tax_digits_differ():
    shared = "books@ledgerhelp.example"
    assert (
        suggested(
            [vendor("Pine Roofing", email=shared, tax_id="XXXXXXX1234")],
            [company(1, "Pine Roofing", email=shared, tax_id="93-0005678")],
        )
        == []
    )


def test_an_email_alone_or_a_typo_is_shown_but_not_linked_in_bulk():
    (by_email,) = suggested(
        [vendor("Totally Renamed LLC", email="ap@harbor.example")],
        [company(1, "Harbor Steel", email="AP@harbor.example")],
    )
    (by_typo,) = suggested([vendor("Harbour Stel")], [company(2, "Harbour Steel")])
    assert by_email.confidence == Confidence.MEDIUM and not by_email.for_link_all
    assert by_typo.confidence == Confidence.MEDIUM and "one letter apart" in by_typo.reason


def test_a_different_number_is_a_different_business():
    assert suggested([vendor("Storage Unit 12")], [company(1, "Storage Unit 13")]) == []
    assert suggested([vendor("Acme Drywall 7")], [company(1, "Acme Drywall 8")]) == []


def test_different_cities_or_email_domains_keep_a_same_name_out_of_link_all():
    (suggestion,) = suggested(
        [vendor("Pioneer Plumbing", city="Reno")], [company(1, "Pioneer Plumbing", city="Boise")]
    )
    assert not suggestion.for_link_all
    assert "different cities (Boise, Reno)" in suggestion.reason


@pytest.mark.parametrize("order", [0, 1])
def test_two_plausible_companies_are_ambiguous_whatever_the_order(order):
    companies = [company(1, "Delta Glass"), company(2, "Delta Glass Inc")]
    if order:
        companies.reverse()
    suggestions = suggested([vendor("Delta Glass LLC")], companies)
    assert {s.company.pk for s in suggestions} == {1, 2}
    assert all(s.ambiguous and not s.for_link_all for s in suggestions)


def test_a_company_two_vendors_could_be_is_ambiguous_for_both():
    suggestions = suggested(
        [vendor("Mesa Tile"), vendor("Mesa Tile, LLC")], [company(1, "Mesa Tile")]
    )
    assert len(suggestions) == 2
    assert all(s.ambiguous for s in suggestions)


def test_the_reason_names_what_was_ignored():
    assert name_reason("Star Framing", "Star Framing, LLC") == "same name ignoring 'LLC'"
    assert normalise_name("The Glass Guys, Inc.").key == "glass guys"


def test_damerau_distance_counts_a_swap_as_one():
    assert damerau_distance("fitzgerald", "fitzgerlad") == 1
    assert damerau_distance("kline", "klein", limit=1) == 2


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("Mixed Use Developers", "Mixed Use Partners LLC"),
        ("Z-Best Plumbing", "Best Plumbing Inc"),
        ("Job Site Sales", "Job Site Tools"),
        ("Turner Builders Inc", "Turner Builders - Kiewit JV"),
        ("Valley Ag", "Valley Spa"),
        ("Net 30 Supply", "Net 60 Supply"),
        ("Vision Inc", "Vision 2020 LLC"),
        ("Smith Roofing", "Jones Electric (Smith Roofing)"),
        ("Tower A Residences", "Tower B Residences"),
        ("The Lumber Yard", "Lumber Co"),
    ],
)
def test_different_businesses_that_share_words_are_never_offered_to_link_all(ours, theirs):
    """Found by an adversarial walk: each was once linked by "Link all"."""
    assert not [s for s in suggested([vendor(theirs)], [company(1, ours)]) if s.for_link_all]


def test_a_shared_email_with_names_only_alike_is_checked_first_not_linked():
    shared = "ap@smithbooks.example"
    (suggestion,) = suggested(
        [vendor("Smith Electric Supply", email=shared)],
        [company(1, "Smith Electric", email=shared)],
    )
    assert not suggestion.for_link_all


def test_one_city_written_two_ways_is_one_city():
    (suggestion,) = suggested(
        [vendor("Gateway Glass", city="St. Louis, MO")],
        [company(1, "Gateway Glass", city="Saint Louis")],
    )
    assert suggestion.for_link_all
