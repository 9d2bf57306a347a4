"""One number format for people (pages, feeds, change texts, alerts); exact numerals for machines."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pricing.money import amount, plain, times, usd


@pytest.mark.parametrize("value,text", [
    ("0.45", "$0.45"), ("2.6", "$2.60"), ("15", "$15.00"), ("0.450225", "$0.45"), ("0.959875", "$0.96"),
    ("2.59875", "$2.60"), ("0.733333", "$0.73"), ("0.1", "$0.10"), ("1250", "$1,250.00"),
    # Below a dime: three significant digits, no trailing zeros.
    ("0.05925", "$0.0593"), ("0.039", "$0.039"), ("0.05", "$0.05"), ("0.0000123", "$0.0000123"),
    # 0.09996 rounds to a dime and is shown as one.
    ("0.09996", "$0.10"), ("0.0999", "$0.0999"),
    ("0", "free"), (None, "—"), ("", "—"), ("NaN", "—"), ("abc", "—"),
])
def test_prices_read_with_two_decimals_from_a_dime_and_three_significant_digits_below(value, text):
    assert amount(Decimal(value) if value not in (None, "", "abc") else value) == text


def test_json_strings_and_units_go_through_the_same_rule():
    assert amount("7.50") == "$7.50" and amount(7) == "$7.00"
    assert usd(Decimal("0.05925")) == "$0.0593 / M tokens"
    assert amount(Decimal("0"), zero="$0.00") == "$0.00"


@pytest.mark.parametrize("value,text", [
    ("0.3", "0.30x"), ("0.253", "0.25x"), ("1", "1.00x"), ("2.648", "2.65x"), ("27.27", "27.3x"), ("27.40", "27.4x"),
    ("133.33", "133x"), ("1234.5", "1,235x"), (None, "—"),
])
def test_ratios_keep_three_figures(value, text):
    assert times(Decimal(value) if value else None) == text


def test_machines_get_the_exact_value():
    assert plain(Decimal("0.4502250000")) == "0.450225" and plain(Decimal("1E+1")) == "10"


def test_a_ratio_below_one_also_says_how_much_cheaper():
    from pricing.money import ratio_words
    from pricing.templatetags.dashboard import cheaper

    assert ratio_words(Decimal("0.3")) == "0.30x (3.33x cheaper)"
    assert ratio_words(Decimal("27.34")) == "27.3x (dearer)" and ratio_words(Decimal("1")) == "1.00x (same price)"
    assert cheaper(Decimal("0.36")) == "2.78x cheaper" and cheaper(Decimal("2")) == ""
