"""Personal data as value objects: phones, e-mails and ID cards normalised, checked and
masked."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.customers.personal import (
    id_card_check_digit,
    mask_email,
    mask_id_card,
    mask_phone,
    normalise_email,
    normalise_id_card,
    normalise_landline,
    normalise_mobile,
)
from domain.shared.errors import ValidationFailed

VALID_ID_X = "11010519491231002X"  # the GB 11643 sample: its check digit is X

DIGITS = "0123456789"
ID_CHECK_CHARS = "0123456789X"


def problem_field(error: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return error.value.problems[0].field


# ---- personal data: property tests ---------------------------------------------------------

mainland_mobiles = st.builds(
    lambda second, rest: "1" + second + rest,
    st.sampled_from("3456789"),
    st.text(alphabet=DIGITS, min_size=9, max_size=9),
)
separators = st.sampled_from(["", "", " ", "-", "  ", " - ", "--"])


@st.composite
def formatted_mobiles(draw: st.DrawFn) -> tuple[str, str]:
    """(the bare 11 digits, the same number as a person might type it)."""
    digits = draw(mainland_mobiles)
    prefix = draw(st.sampled_from(["", "+86 ", "+86", "+86-", "0086", "0086 ", "86", "86 "]))
    gaps = draw(st.lists(separators, min_size=len(digits) - 1, max_size=len(digits) - 1))
    body = digits[0] + "".join(gap + d for gap, d in zip(gaps, digits[1:], strict=True))
    lead, trail = draw(st.sampled_from(["", " "])), draw(st.sampled_from(["", " "]))
    return digits, f"{lead}{prefix}{body}{trail}"


@given(formatted_mobiles())
def test_any_formatted_mainland_mobile_normalises_to_its_bare_eleven_digits(
    case: tuple[str, str],
) -> None:
    digits, typed = case
    assert normalise_mobile(typed) == digits


@given(mainland_mobiles)
def test_a_masked_mobile_shows_only_the_first_three_and_last_four_digits(digits: str) -> None:
    masked = mask_phone(normalise_mobile(digits))
    assert masked == digits[:3] + "****" + digits[-4:]
    assert len(masked) == 11
    assert masked != digits and digits not in masked


first17s = st.text(alphabet=DIGITS, min_size=17, max_size=17)


@given(first17s)
def test_seventeen_digits_plus_their_check_digit_are_a_valid_id_card(first17: str) -> None:
    value = first17 + id_card_check_digit(first17)
    assert normalise_id_card(value) == value
    assert normalise_id_card(value.lower()) == value
    assert normalise_id_card(f" {value} ") == value


def _with_check_x(first17: str) -> str:
    """The nearest variant of the first 17 digits whose check digit is X (found by changing
    the last two digits; filtering instead would throw away 10 draws in 11)."""
    for tail in range(100):
        candidate = first17[:15] + f"{(int(first17[15:]) + tail) % 100:02d}"
        if id_card_check_digit(candidate) == "X":
            return candidate
    raise AssertionError("the last two digits reach every check digit")


@given(first17s.map(_with_check_x))
def test_a_lower_case_x_check_digit_is_accepted_and_upper_cased(first17: str) -> None:
    assert normalise_id_card(first17 + "x") == first17 + "X"


@given(first17s, st.sampled_from(ID_CHECK_CHARS))
def test_any_other_check_digit_is_refused_on_the_id_card_field(first17: str, check: str) -> None:
    if check == id_card_check_digit(first17):
        check = ID_CHECK_CHARS[(ID_CHECK_CHARS.index(check) + 1) % len(ID_CHECK_CHARS)]
    with pytest.raises(ValidationFailed) as e:
        normalise_id_card(first17 + check)
    assert problem_field(e) == "id_card_number"


@given(first17s)
def test_a_masked_id_card_keeps_the_first_six_and_last_four_characters(first17: str) -> None:
    value = normalise_id_card(first17 + id_card_check_digit(first17))
    masked = mask_id_card(value)
    assert masked == value[:6] + "********" + value[-4:]
    assert len(masked) == 18
    assert masked != value and value not in masked


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._", min_size=1, max_size=30)
       .filter(lambda s: s[0] != "." and s[-1] != "." and ".." not in s))
def test_a_masked_email_keeps_one_character_and_the_domain(local: str) -> None:
    email = normalise_email(f"{local}@example.com")
    masked = mask_email(email)
    assert masked == f"{local[0]}***@example.com"
    assert masked != email and email not in masked


# ---- personal data: examples ---------------------------------------------------------------


def test_the_id_card_sample_with_an_x_check_digit_is_accepted_in_lower_case() -> None:
    assert normalise_id_card(VALID_ID_X.lower()) == VALID_ID_X
    assert mask_id_card(VALID_ID_X) == "110105********002X"


@pytest.mark.parametrize("raw", ["", "1101051949123100", "11010519491231002XX",
                                 "11010519491231002Y", "A1010519491231002X"])
def test_id_cards_of_the_wrong_shape_are_refused(raw: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        normalise_id_card(raw)
    assert problem_field(e) == "id_card_number"


@pytest.mark.parametrize(("raw", "expected"), [
    ("+447911123456", "+447911123456"),
    ("+44 7911 123456", "+447911123456"),
    ("+1 (650) 253-0000", "+16502530000"),
])
def test_foreign_numbers_are_kept_in_e164(raw: str, expected: str) -> None:
    assert normalise_mobile(raw) == expected


def test_a_foreign_number_is_masked_keeping_the_country_prefix_and_last_four() -> None:
    assert mask_phone("+447911123456") == "+44******3456"


@pytest.mark.parametrize("raw", [
    "", "phone", "12345", "1381234567", "138123456789", "23812345678", "12812345678",
    "+86 128 1234 5678", "+86 10 1234 5678", "447911123456", "+44 123", "+999 123456789",
])
def test_invalid_phones_are_refused_with_the_field_name_passed_in(raw: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        normalise_mobile(raw, "contacts.0.mobile")
    assert problem_field(e) == "contacts.0.mobile"


def test_an_invalid_phone_defaults_to_the_mobile_field() -> None:
    with pytest.raises(ValidationFailed) as e:
        normalise_mobile("12345")
    assert problem_field(e) == "mobile"


@pytest.mark.parametrize(("raw", "expected"), [
    ("(010) 1234 5678", "010-12345678"),
    ("010-12345678", "010-12345678"),
    ("057188886666", "0571-88886666"),
    ("0571-8888666", "0571-8888666"),
    ("021 6666 7777-123", "021-66667777-123"),
    ("021-66667777-123", "021-66667777-123"),
    ("+86 10 1234 5678", "010-12345678"),
])
def test_landlines_are_normalised_to_area_code_dash_number(raw: str, expected: str) -> None:
    assert normalise_landline(raw) == expected


@pytest.mark.parametrize("raw", [
    "12345678", "", "phone", "010-123456", "010-123456789", "010-12345678-1234567",
    "010-12345678-1-2", "010-1234-5678",
])
def test_landlines_without_an_area_code_or_malformed_are_refused(raw: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        normalise_landline(raw, "contacts.2.landline")
    assert problem_field(e) == "contacts.2.landline"


@pytest.mark.parametrize(("value", "expected"), [
    ("010-12345678", "010-****5678"),
    ("0571-8888666", "0571-***8666"),
    ("021-66667777-123", "021-****7777-123"),
])
def test_masked_landlines_hide_all_but_the_last_four_local_digits(value: str,
                                                                  expected: str) -> None:
    assert mask_phone(value) == expected


def test_emails_keep_the_local_part_and_lower_case_the_domain() -> None:
    assert normalise_email(" Li.Lei@Example.COM ") == "Li.Lei@example.com"


@pytest.mark.parametrize("raw", ["", "no-at-sign", "a@b", "two@@example.com", "x y@ex.com",
                                 "@example.com", "li@"])
def test_bad_emails_are_refused_with_the_field_name_passed_in(raw: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        normalise_email(raw, "contacts.1.email")
    assert problem_field(e) == "contacts.1.email"


def test_a_masked_email_shows_the_first_character_and_the_domain() -> None:
    assert mask_email("li.lei@example.com") == "l***@example.com"
