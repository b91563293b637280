"""The command number parser: decimal digits of any script, bounded length, ASCII out."""

from nlp.numbers import MAX_DIGITS, first_number, parse_number


def test_number_parser_takes_decimal_digits_of_any_script_and_refuses_the_rest() -> None:
    assert parse_number("12") == 12
    assert parse_number("\uff13") == 3  # full-width ３
    assert parse_number("\u0663") == 3  # Arabic-Indic ٣
    assert parse_number("\u1369") is None  # Ethiopic ፩: isdigit() but not decimal
    assert parse_number("\u2460") is None  # ①
    assert parse_number("9" * 5000) is None
    assert parse_number("9" * (MAX_DIGITS + 1)) is None
    assert parse_number("-1") is None and parse_number("") is None and parse_number(None) is None
    assert parse_number("4", low=1, high=3) is None and parse_number("3", low=1, high=3) == 3


def test_first_number_in_free_text() -> None:
    assert first_number("共 ３ 人") == 3
    assert first_number("5人") == 5
    assert first_number("三人") is None
    assert first_number("9" * 5000 + "人") is None
