"""ID number rules: what is an error, what is only a warning, and what is normalised."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic_app.domain import ids

GOOD = "11010519491231002X"  # the GB 11643 worked example
TODAY = dt.date(2026, 11, 23)


def test_good_number_gives_birth_date_and_sex() -> None:
    parsed = ids.parse(GOOD, today=TODAY)
    assert parsed.number == GOOD
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.sex == "女"  # 17th digit 2 is even
    assert parsed.masked() == "110105********002X"


@pytest.mark.parametrize("typed", [
    "11010519491231002x",  # lower-case x
    " 110105 19491231 002X ",  # spaces inside and around
    "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits and letter
    "110105\u300019491231002X",  # ideographic space
    "110105-19491231-002X",
])
def test_normalises_what_people_type(typed: str) -> None:
    assert ids.parse(typed, today=TODAY).number == GOOD


def test_bad_checksum_is_an_error() -> None:
    with pytest.raises(ids.IdNumberError, match="校验位"):
        ids.parse("110105194912310021", today=TODAY)


def test_impossible_birth_date_is_an_error() -> None:
    body = "11010519490231002"  # 31 February
    number = body + ids.ric.calc_check_digit(body + "0")
    with pytest.raises(ids.IdNumberError, match="出生日期 19490231 不存在"):
        ids.parse(number, today=TODAY)


def test_future_birth_date_is_an_error() -> None:
    number = ids.make("110105", dt.date(2027, 1, 1), 1, "男")
    with pytest.raises(ids.IdNumberError, match="晚于今天"):
        ids.parse(number, today=TODAY)


@pytest.mark.parametrize(("raw", "reason"), [
    ("", "为空"),
    ("1101051949123100", "应为18位，现在是16位"),
    ("11010519491231002Y", "前17位必须是数字"),
    ("4.10101E+17", "科学计数法"),
])
def test_malformed_numbers_are_errors(raw: str, reason: str) -> None:
    with pytest.raises(ids.IdNumberError, match=reason):
        ids.parse(raw, today=TODAY)


def test_number_that_excel_rounded_is_explained() -> None:
    # Excel keeps 15 significant digits: the tail becomes 000 and the checksum breaks.
    with pytest.raises(ids.IdNumberError, match="表格当作数字"):
        ids.parse("110105194912310000", today=TODAY)


def test_fifteen_digit_old_number_is_upgraded_with_a_warning() -> None:
    parsed = ids.parse("110105491231002", today=TODAY)
    assert parsed.number == GOOD
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert any("15位" in w for w in parsed.warnings)


@pytest.mark.parametrize("place", [
    "640522",  # 海原县's code since 2004; python-stdnum rejects it for a 1958 birth
    "990000",  # no such county at all
])
def test_unknown_place_code_is_only_a_warning(place: str) -> None:
    number = ids.make(place, dt.date(1958, 3, 1), 7, "男")
    parsed = ids.parse(number, today=TODAY)
    assert parsed.place_code == place
    assert any(place in w for w in parsed.warnings)


def test_known_place_code_has_no_warning() -> None:
    # 642222 was 海原县 before 2004, valid for someone born in 1958.
    assert ids.parse(ids.make("642222", dt.date(1958, 3, 1), 7, "男"), today=TODAY).warnings == ()


@pytest.mark.parametrize("sex", ["男", "女"])
def test_made_numbers_are_valid_and_carry_the_sex(sex: str) -> None:
    for sequence in range(0, 500, 37):
        number = ids.make("110105", dt.date(1990, 1, 2), sequence, sex)
        assert ids.parse(number, today=TODAY).sex == sex


def test_age_counts_birthdays() -> None:
    assert ids.age_on(dt.date(1960, 11, 24), TODAY) == 65
    assert ids.age_on(dt.date(1960, 11, 23), TODAY) == 66
