"""Exact decimal helpers: exchange numbers never pass through float arithmetic."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def to_decimal(value: object) -> Decimal:
    """A JSON number or numeric string as an exact, finite Decimal.

    Strings are taken digit for digit ("0.01000000" stays exactly that). JSON floats
    (Deribit) go through `str()`, whose shortest round-trip form is the number the
    exchange printed (0.0005 -> "0.0005"), not the binary approximation.
    Raises ValueError with a short reason otherwise.
    """
    if isinstance(value, bool):  # bool is an int subclass: never a quantity
        raise ValueError(f"expected a number, got bool {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise ValueError(f"expected a number, got {type(value).__name__}")
    try:
        result = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a decimal number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def precision(step: Decimal | None) -> int | None:
    """Number of decimal places a step allows: 0.01000000 -> 2, 0.5 -> 1, 1 -> 0, 5 -> 0.

    Derived from the normalized step, never from the string's length (Binance pads
    "0.01000000" with zeros that carry no meaning).
    """
    if step is None or step <= 0:
        return None
    exponent = step.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite by construction
    return max(0, -exponent)


def step_from_decimals(places: int) -> Decimal:
    """10**-places as an exact Decimal (Kraken pair_decimals/lot_decimals)."""
    return Decimal(1).scaleb(-places)
