"""Exact decimals and step-derived precision."""

from __future__ import annotations

from decimal import Decimal

import pytest

from refdata.parsing.decimals import precision, step_from_decimals, to_decimal


@pytest.mark.parametrize(
    ("step", "places"),
    [("0.01000000", 2), ("0.00000100", 6), ("1", 0), ("1.00000000", 0), ("5", 0), ("10", 0),
     ("0.5", 1), ("0.25", 2), ("2.5", 1), ("1E-8", 8), ("0.0001000", 4)],
)
def test_precision_from_step(step: str, places: int) -> None:
    assert precision(Decimal(step)) == places


def test_precision_of_nothing() -> None:
    assert precision(None) is None
    assert precision(Decimal(0)) is None


def test_to_decimal_is_exact() -> None:
    assert str(to_decimal("0.01000000")) == "0.01000000"  # digits kept; the hash normalizes
    assert to_decimal(0.0005) == Decimal("0.0005")  # Deribit float, not 0.000500000000000000010408...
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal(100000.0) == Decimal(100000)
    assert to_decimal(10) == Decimal(10)
    assert step_from_decimals(8) == Decimal("0.00000001")
    assert step_from_decimals(0) == Decimal(1)


@pytest.mark.parametrize("bad", [True, None, "abc", "NaN", "Infinity", [], "1,5"])
def test_to_decimal_rejects(bad: object) -> None:
    with pytest.raises(ValueError):
        to_decimal(bad)
