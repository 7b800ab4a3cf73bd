from decimal import Decimal

import pytest

from kit.money import MoneyError, percent_of, rub


@pytest.mark.parametrize("raw, expected", [
    ("10", "10.00"), ("10.005", "10.01"), ("10.004", "10.00"), ("-0.005", "-0.01"), (Decimal("1.235"), "1.24"),
])
def test_rub_rounds_half_up_to_kopecks(raw, expected):
    assert rub(raw) == Decimal(expected)


@pytest.mark.parametrize("bad", [1.5, "abc", "NaN", "Infinity", None])
def test_rub_refuses_what_is_not_money(bad):
    with pytest.raises(MoneyError):
        rub(bad)


def test_percent_is_exact_then_rounded_once():
    assert percent_of(Decimal("333.33"), Decimal("1.5")) == Decimal("5.00")
    assert percent_of(Decimal("100.00"), Decimal("2.345")) == Decimal("2.35")
