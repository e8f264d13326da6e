"""The labeled set is what the issue asks of it, so the figures measured on it mean something."""

from collections import Counter

from tests.matching.labeled import KINDS, held_out, labeled_pairs


def test_the_set_is_large_varied_and_full_of_look_alikes():
    pairs = labeled_pairs()
    assert len(pairs) >= 300
    assert sum(not pair.same for pair in pairs) / len(pairs) >= 0.40
    per_kind = Counter(pair.kind for pair in pairs)
    assert set(per_kind) == set(KINDS)
    assert min(per_kind.values()) >= 15, per_kind
    assert all(pair.reason.strip() for pair in pairs)
    assert len({pair.id for pair in pairs}) == len(pairs)


def test_a_third_is_held_out_with_both_labels_of_every_kind():
    pairs, kept = labeled_pairs(), held_out()
    assert abs(len(kept) - len(pairs) / 3) <= 1
    for kind in KINDS:
        labels = {pair.same for pair in kept if pair.kind == kind}
        assert labels == {True, False}, kind


def test_quickbooks_tax_ids_are_masked_as_its_lists_show_them():
    for pair in labeled_pairs():
        shown = pair.erp.tax_id
        assert not shown or shown.startswith("XXXXXXX") or shown.replace("-", "").isdigit()
