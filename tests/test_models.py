import tempfile
from datetime import date

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from pydantic import ValidationError

from registry.domain.models import (
    Answer,
    Certificate,
    LevelRequest,
    Supplier,
    SupplierLink,
    corporate_number_check_digit,
    kept_as_is,
    normalise_corporate_number,
    supplier_name_key,
)

# Hypothesis keeps caches in .hypothesis/ beside the tests; keep the working tree clean.
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="monosashi-hypothesis-"))

NTA = "7000012050002"  # the National Tax Agency's own corporate number


def test_check_digit_of_a_known_number():
    assert corporate_number_check_digit(NTA[1:]) == 7


def test_valid_corporate_number_is_kept():
    assert normalise_corporate_number(NTA) == NTA


def test_full_width_digits_spaces_and_hyphens_are_normalised():
    assert normalise_corporate_number("７０００ ０１２０－５０００２") == NTA
    assert (
        Supplier(
            supplier_id="S1", name="株式会社テスト", corporate_number="７００００１２０５０００２"
        ).corporate_number
        == NTA
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("8000012050002", "check digit"),
        ("700001205000", "13 digits"),
        ("70000120500021", "13 digits"),
        ("7OOOO12O5OOO2", "13 digits"),
    ],
)
def test_invalid_corporate_numbers_are_refused(value, message):
    with pytest.raises(ValueError, match=message):
        normalise_corporate_number(value)
    with pytest.raises(ValidationError, match=message):
        Supplier(supplier_id="S1", name="x", corporate_number=value)


def test_supplier_text_is_nfkc_normalised_and_blank_numbers_are_none():
    s = Supplier(supplier_id="S1", name="  株式会社ＡＢＣ　精工 ", corporate_number="  ", employees=12)
    assert s.name == "株式会社ABC 精工"
    assert s.corporate_number is None


def test_supplier_id_and_name_are_checked():
    with pytest.raises(ValidationError):
        Supplier(supplier_id="bad id", name="x")
    with pytest.raises(ValidationError, match="must not be empty"):
        Supplier(supplier_id="S1", name="  ")


def test_name_key_folds_legal_forms():
    assert (
        supplier_name_key("㈱東邦精工")
        == supplier_name_key("東邦精工株式会社")
        == supplier_name_key("（株） 東邦 精工")
    )


def test_link_to_itself_is_refused():
    with pytest.raises(ValidationError, match="itself"):
        SupplierLink(parent_id="S1", child_id="S1")
    assert SupplierLink(parent_id="@buyer", child_id="S1").parent_id == "@buyer"


def test_certificate_dates_and_other_scheme_name():
    with pytest.raises(ValidationError, match="not after issue"):
        Certificate(
            certificate_id="C1",
            supplier_id="S1",
            scheme="scs_star3",
            issued_on=date(2026, 5, 1),
            expires_on=date(2026, 4, 1),
        )
    with pytest.raises(ValidationError, match="scheme_name"):
        Certificate(certificate_id="C1", supplier_id="S1", scheme="other", issued_on=date(2026, 5, 1))
    assert (
        Certificate(certificate_id="C1", supplier_id="S1", scheme="scs_star4", issued_on=date(2026, 5, 1)).star_level
        == 4
    )


def test_request_recommendation_follows_the_three_questions():
    base = dict(
        request_id="R1", supplier_id="S1", requested_level=3, requested_on=date(2026, 4, 1), due_on=date(2027, 3, 31)
    )
    assert (
        LevelRequest(
            **base, holds_confidential_info=False, outage_delays_buyer=False, reaches_buyer_network=False
        ).recommended_level
        == 3
    )
    assert (
        LevelRequest(
            **base, holds_confidential_info=False, outage_delays_buyer=True, reaches_buyer_network=False, reason="x"
        ).recommended_level
        == 4
    )
    # the buyer may choose otherwise, but must say why
    with pytest.raises(ValidationError, match="recommend ★4; a request for ★3 needs a reason"):
        LevelRequest(**base, holds_confidential_info=True, outage_delays_buyer=False, reaches_buyer_network=False)
    assert LevelRequest(**base).recommended_level is None
    with pytest.raises(ValidationError, match="before the request date"):
        LevelRequest(**{**base, "due_on": date(2026, 3, 1)})


@settings(max_examples=400, deadline=None, database=None)
@given(st.text(max_size=12))
@example("○")
@example("4-1-2-3")
@example("実施している 一部")
@example("a  b")
@example(" a")
@example("ＳＣＳ")
@example("a\u200bb")
@example("a\u202eb")
@example("a\x01b")
@example("x\u3000y")
@example("")
def test_a_text_kept_as_is_is_what_validation_keeps(text: str):
    """The readers skip validating a row whose every text is ``kept_as_is``: for such a text,
    the validated model and the one built without validation must be the same."""
    if not kept_as_is(text):
        return
    values = {"item_id": text, "raw_answer": text, "status": "met", "reason": text, "evidence": None, "note": text}
    assert Answer(**values) == Answer.model_construct(**values)
    assert Answer(**values).model_dump() == Answer.model_construct(**values).model_dump()


def test_texts_validation_would_change_are_not_kept_as_is():
    for text in ["", " a", "a ", "a  b", "ＳＣＳ", "a\u200bb", "a\u202eb", "a\x01b", "a\tb", "x\u3000y", "ｶﾞ"]:
        assert not kept_as_is(text), repr(text)
    assert kept_as_is(None) and kept_as_is("実施している") and kept_as_is("4-1-2-3")
