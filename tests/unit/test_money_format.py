"""One money formatter: each currency's minor units, the display rate and digit grouping."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tokenwallet.budget.inputs import format_amount as cli_format_amount
from tokenwallet.domain.allowance import Unit
from tokenwallet.domain.money import format_money, format_usd, group_digits, minor_units


def test_dollars_have_cents_and_round_half_even() -> None:
    assert format_money(1_234_567_890) == "$1,234.57"
    assert format_money(1_005_000) == "$1.00"  # 1.005 rounds to the even cent
    assert format_money(1_015_000) == "$1.02"
    assert format_money(-1_500_000) == "-$1.50"
    assert format_money(0) == "$0.00"
    assert format_money(None) == "unpriced"
    assert format_money(None, unpriced="-") == "-"


def test_yen_and_won_have_no_minor_units() -> None:
    rate = Decimal("150.25")
    # 12.34 USD at 150.25 yen per dollar is 1,854.085 yen, written as a whole number of yen
    assert format_money(12_340_000, "JPY", rate=rate) == "¥1,854"
    assert format_money(2_000_000, "KRW", rate=Decimal("1380")) == "₩2,760"
    assert minor_units("JPY") == minor_units("KRW") == 0


def test_three_decimal_currencies_and_unknown_codes() -> None:
    assert minor_units("KWD") == 3
    assert format_money(1_000_000, "KWD", rate=Decimal("0.3075")) == "KWD 0.308"  # half-even of 0.3075
    assert minor_units("XYZ") == 2
    assert format_money(1_000_000, "chf", rate=Decimal("0.9")) == "CHF 0.90"


def test_indian_grouping_and_rate() -> None:
    assert format_money(10_000 * 1_000_000, "INR", rate=Decimal("83.5"), grouping="indian") == "₹8,35,000.00"
    assert group_digits(12_345_678, "indian") == "1,23,45,678"
    assert group_digits(12_345_678) == "12,345,678"


def test_places_override_for_chart_axes() -> None:
    assert format_money(2_500_000, places=0) == "$2"
    assert format_usd(2_500_000, places=0) == "$2"


@pytest.mark.parametrize("micros", [0, 1, 499_999, 500_000, 1_234_567_890, -7_000_001, 10**18, -(10**18)])
def test_every_front_end_formats_usd_the_same(micros: int) -> None:
    from tokenwallet.ui.display import DisplayOptions
    from tokenwallet.ui.display import format_amount as tray_format_amount

    expected = format_money(micros)
    assert format_usd(micros) == expected
    assert cli_format_amount(micros, Unit.USD) == expected
    assert tray_format_amount(micros, Unit.USD, DisplayOptions()) == expected


def test_the_tray_writes_yen_without_decimals() -> None:
    from tokenwallet.ui.display import DisplayOptions
    from tokenwallet.ui.display import format_amount as tray_format_amount

    options = DisplayOptions(currency="JPY", rate=Decimal("150"))
    assert tray_format_amount(1_500_000, Unit.USD, options) == "¥225"
