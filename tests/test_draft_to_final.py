"""The draft (2025-12) → final (2026-03-27) crosswalk follows the two catalogues' texts: identical
text is `equal` under its final number, changed text is never `equal`, and a draft criterion
without a counterpart has no link. The texts themselves are not in the repository; each
criterion carries the fingerprint of its folded text (``text_sha256``), which these tests compare.
"""

from __future__ import annotations

import pytest

from questionnaires.catalogue import load_catalogue
from questionnaires.crosswalks import shipped_crosswalks

DRAFT = {c.id: c for c in load_catalogue("2025-12").criteria}
FINAL = {c.id: c for c in load_catalogue("2026-03-27").criteria}
CROSSWALK = shipped_crosswalks()["scs-2025-12-to-scs-2026-03-27"]
LINKS: dict[str, list] = {}
for _entry in CROSSWALK.entries:
    LINKS.setdefault(_entry.source, []).append(_entry)

# The criteria the scheme renumbered with their text kept (the buyer's examples in the issue).
RENUMBERED = [
    ("4-1-6-3", "4-1-6-2"),
    ("6-1-1-4", "6-1-1-3"),
    ("6-1-1-5", "6-1-1-4"),
    ("6-1-1-6", "6-1-1-5"),
    ("6-1-1-7", "6-1-1-6"),
    ("4-2-1-6", "4-2-1-5"),
    ("5-1-2-3", "5-1-2-2"),
    ("3-1-5-2", "3-1-5-3"),
]
# Renumbered and reworded: they follow their text to the new number, never as `equal`.
RENUMBERED_AND_REWORDED = [
    ("4-2-1-3", "4-2-1-2"),
    ("4-2-1-4", "4-2-1-3"),
    ("4-2-1-5", "4-2-1-4"),
    ("5-1-2-4", "5-1-2-3"),
    ("4-1-4-3", "4-1-4-2"),
    ("6-1-1-3", "6-1-1-2"),
]
# Draft criteria with no counterpart in the final catalogue (their number holds another text, or is gone).
WITHOUT_COUNTERPART = ["4-1-6-2", "4-2-1-2", "4-3-3-2"]


def test_every_criterion_carries_its_text_fingerprint():
    assert all(c.text_sha256 for c in DRAFT.values()) and all(c.text_sha256 for c in FINAL.values())


def test_equal_means_identical_text_and_identical_text_is_equal():
    final_by_text = {c.text_sha256: c.id for c in FINAL.values()}
    for draft_id, criterion in DRAFT.items():
        links = LINKS.get(draft_id, [])
        twin = final_by_text.get(criterion.text_sha256)
        equal = [e for e in links if e.relationship == "equal"]
        if twin is None:
            assert not equal, f"{draft_id}: `equal` without identical text"
        else:
            assert [(e.target, e.strength) for e in equal] == [(twin, 1.0)], draft_id
            assert len(links) == 1, draft_id


@pytest.mark.parametrize(("draft_id", "final_id"), RENUMBERED)
def test_a_renumbered_criterion_keeps_its_answers_under_the_new_number(draft_id, final_id):
    (entry,) = LINKS[draft_id]
    assert (entry.target, entry.relationship, entry.strength) == (final_id, "equal", 1.0)
    assert "renumbered" in entry.rationale
    assert DRAFT[draft_id].text_sha256 == FINAL[final_id].text_sha256
    # …and the final criterion of the old number, which holds another text, gets nothing from it
    if draft_id in FINAL:
        assert DRAFT[draft_id].text_sha256 != FINAL[draft_id].text_sha256


@pytest.mark.parametrize(("draft_id", "final_id"), RENUMBERED_AND_REWORDED)
def test_a_renumbered_and_reworded_criterion_follows_its_text(draft_id, final_id):
    (entry,) = LINKS[draft_id]
    assert entry.target == final_id and entry.relationship != "equal"
    assert entry.rationale


@pytest.mark.parametrize("draft_id", WITHOUT_COUNTERPART)
def test_a_criterion_without_counterpart_has_no_link(draft_id):
    assert draft_id not in LINKS
    assert DRAFT[draft_id].text_sha256 not in {c.text_sha256 for c in FINAL.values()}


def test_the_late_update_mitigations_never_count_as_the_new_internet_facing_criterion():
    """Draft 4-4-4-3 (★3: mitigations while an update is late) is not final 4-4-4-3 (★4: no
    CVSS ≥ 7 flaw on internet-facing devices); it is part of the final 4-4-4-2."""
    (entry,) = LINKS["4-4-4-3"]
    assert entry.target == "4-4-4-2" and entry.relationship == "intersect"
    assert not any(e.target == "4-4-4-3" for e in CROSSWALK.entries if e.source != "4-4-4-3")
    assert FINAL["4-4-4-3"].level == 4 and DRAFT["4-4-4-3"].level == 3


@pytest.mark.parametrize(
    "draft_id", sorted(d for d in DRAFT if d in LINKS and LINKS[d][0].relationship != "equal"), ids=str
)
def test_every_changed_criterion_has_a_relationship_and_a_reason(draft_id):
    for entry in LINKS[draft_id]:
        assert entry.relationship in ("subset", "superset", "intersect")
        assert DRAFT[draft_id].text_sha256 != FINAL[entry.target].text_sha256
        assert "text changed" in entry.rationale and 0.3 <= entry.strength < 1.0


def test_final_criteria_new_in_the_final_get_no_draft_answer():
    targets = {e.target for e in CROSSWALK.entries}
    assert {"4-4-4-3", "4-1-5-5"}.isdisjoint(targets)
