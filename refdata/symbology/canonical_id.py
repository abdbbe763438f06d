"""Canonical instrument IDs: grammar, formatting and parsing (ADR 0006).

    BTC-USDT-SPOT   ETH-USDT-PERP   BTC-USD-FUT-20240329.BTC   1000_PEPE-USDT-PERP
    BTC-USD-OPT-20241227-100000-C.BTC   BTC-USDC-OPT-20241227-0.5-P

Two instruments share an ID iff base (with unit multiplier), quote, settlement asset, class,
expiry date, strike and right agree. The `.SETTLE` suffix is written exactly when the
settlement asset differs from the quote, so the common linear case stays short and inverse
(settle == base) or quanto contracts can never collide with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from refdata.domain import InstrumentClass, OptionRight
from refdata.symbology.assets import ASSET_CODE_RE

# The one regex of the grammar; ADR 0006 quotes it verbatim (a test compares the two).
CANONICAL_ID_REGEX = (
    r"(?:(?P<base_mult>[1-9][0-9]*)_)?(?P<base>[A-Z0-9]+)"
    r"-(?:(?P<quote_mult>[1-9][0-9]*)_)?(?P<quote>[A-Z0-9]+)"
    r"-(?:(?P<spot>SPOT)|(?:(?P<perp>PERP)|FUT-(?P<fut_expiry>[0-9]{8})"
    r"|OPT-(?P<opt_expiry>[0-9]{8})-(?P<strike>(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?)"
    r"-(?P<right>[CP]))(?:\.(?P<settle>[A-Z0-9]+))?)"
)
CANONICAL_ID_RE = re.compile(CANONICAL_ID_REGEX, re.ASCII)

_CLASS_TOKENS = {
    InstrumentClass.SPOT: "SPOT",
    InstrumentClass.PERPETUAL: "PERP",
    InstrumentClass.FUTURE: "FUT",
    InstrumentClass.OPTION: "OPT",
}
DATED_CLASSES = (InstrumentClass.FUTURE, InstrumentClass.OPTION)


def format_strike(strike: Decimal) -> str:
    """Plain decimal, no exponent, no trailing zeros: 26000, 0.5."""
    if not isinstance(strike, Decimal) or not strike.is_finite() or strike <= 0:
        raise ValueError(f"strike {strike!r} must be a positive finite Decimal")
    return format(strike.normalize(), "f")


def _check_asset(role: str, code: object) -> None:
    if not isinstance(code, str) or not ASSET_CODE_RE.fullmatch(code):
        raise ValueError(f"{role} {code!r} is not a canonical asset code [A-Z0-9]+")


def _check_multiplier(role: str, value: object) -> None:
    if type(value) is not int or value < 1:
        raise ValueError(f"{role} multiplier {value!r} must be a positive int")


@dataclass(frozen=True)
class CanonicalIdParts:
    """The fields an ID encodes. For derivatives `settle=None` means "the quote"."""

    base: str
    quote: str
    instrument_class: InstrumentClass
    settle: str | None = None  # always set for derivatives after construction; None for spot
    expiry: date | None = None  # UTC calendar date; futures and options only
    strike: Decimal | None = None  # in quote units; options only
    right: OptionRight | None = None
    base_multiplier: int = 1  # 1000 for 1000PEPE: one unit of base is 1000 PEPE
    quote_multiplier: int = 1

    def __post_init__(self) -> None:
        _check_asset("base", self.base)
        _check_asset("quote", self.quote)
        _check_multiplier("base", self.base_multiplier)
        _check_multiplier("quote", self.quote_multiplier)
        if self.base == self.quote:
            raise ValueError(f"base and quote are the same asset {self.base!r}")
        cls = self.instrument_class
        if not isinstance(cls, InstrumentClass):
            raise ValueError(f"instrument_class {cls!r} is not an InstrumentClass")
        if cls is InstrumentClass.SPOT:
            if self.settle is not None:
                raise ValueError(f"spot has no settlement asset (got {self.settle!r})")
        else:
            if self.settle is None:
                object.__setattr__(self, "settle", self.quote)
            _check_asset("settle", self.settle)
        if cls in DATED_CLASSES:
            if type(self.expiry) is not date:  # a datetime would hide a time of day
                raise ValueError(f"{cls.value} needs an expiry date, got {self.expiry!r}")
            if self.expiry.year < 1000:
                raise ValueError(f"expiry {self.expiry} does not fit YYYYMMDD")
        elif self.expiry is not None:
            raise ValueError(f"{cls.value} has no expiry (got {self.expiry!r})")
        if cls is InstrumentClass.OPTION:
            # Stored as the plain decimal it is written as (100000, not 1E+5), for readers' sake.
            plain = Decimal(format_strike(self.strike))  # type: ignore[arg-type]
            object.__setattr__(self, "strike", plain)
            if not isinstance(self.right, OptionRight):
                raise ValueError(f"option needs a right C or P, got {self.right!r}")
        elif self.strike is not None or self.right is not None:
            raise ValueError(f"{cls.value} has no strike or right")

    @property
    def is_inverse(self) -> bool:
        return self.settle is not None and self.settle == self.base

    @property
    def is_linear(self) -> bool:
        return self.settle is not None and self.settle == self.quote

    @property
    def text(self) -> str:
        return format_canonical_id(self)


def _asset_text(multiplier: int, code: str) -> str:
    return code if multiplier == 1 else f"{multiplier}_{code}"


def format_canonical_id(parts: CanonicalIdParts) -> str:
    head = f"{_asset_text(parts.base_multiplier, parts.base)}-"
    head += f"{_asset_text(parts.quote_multiplier, parts.quote)}-"
    head += _CLASS_TOKENS[parts.instrument_class]
    if parts.expiry is not None:
        head += f"-{parts.expiry.year:04d}{parts.expiry.month:02d}{parts.expiry.day:02d}"
    if parts.instrument_class is InstrumentClass.OPTION:
        head += f"-{format_strike(parts.strike)}-{parts.right.value}"  # type: ignore
    if parts.settle is not None and parts.settle != parts.quote:
        head += f".{parts.settle}"
    return head


def _diagnose(text: str) -> str:
    """Why `text` does not match the grammar, as precisely as is cheap to say."""
    if text == "":
        return "it is empty"
    if bad := sorted(set(re.sub(r"[A-Z0-9_.\-]", "", text))):
        return f"characters {''.join(bad)!r} are not allowed (only A-Z 0-9 _ . -)"
    fields = text.split("-")
    if len(fields) < 3:
        return "expected BASE-QUOTE-CLASS"
    token, dot, _ = fields[2].partition(".")
    if token not in _CLASS_TOKENS.values():
        return f"class {token!r} is not SPOT, PERP, FUT or OPT"
    if token == "SPOT" and (dot or len(fields) > 3):
        return "nothing may follow SPOT (spot has no expiry or .SETTLE)"
    if token in ("FUT", "OPT") and not re.match(r"[0-9]{8}(?![0-9])", "-".join(fields[3:])):
        return f"{token} needs an expiry YYYYMMDD"
    if token == "OPT":
        return "strike must be plain decimal without trailing zeros (26000, 0.5), right C or P"
    return "it does not match the grammar (ADR 0006)"


def _parse_date(digits: str) -> date:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise ValueError(f"expiry {digits} is not a calendar date") from None


def parse_canonical_id(text: str) -> CanonicalIdParts:
    """Parse an ID; anything that is not the canonical spelling is a ValueError."""
    if not isinstance(text, str):
        raise ValueError(f"canonical ID must be a string, got {type(text).__name__}")
    match = CANONICAL_ID_RE.fullmatch(text)
    if match is None:
        raise ValueError(f"invalid canonical ID {text!r}: {_diagnose(text)}")
    g = match.groupdict()
    for role in ("base", "quote"):
        if g[f"{role}_mult"] == "1":
            raise ValueError(f"invalid canonical ID {text!r}: omit the {role} multiplier 1_")
    if g["settle"] is not None and g["settle"] == g["quote"]:
        problem = f".{g['settle']} repeats the quote; omit it"
        raise ValueError(f"invalid canonical ID {text!r}: {problem}")
    if g["spot"]:
        cls = InstrumentClass.SPOT
    elif g["perp"]:
        cls = InstrumentClass.PERPETUAL
    else:
        cls = InstrumentClass.FUTURE if g["fut_expiry"] else InstrumentClass.OPTION
    try:
        expiry_digits = g["fut_expiry"] or g["opt_expiry"]
        return CanonicalIdParts(
            base=g["base"],
            quote=g["quote"],
            instrument_class=cls,
            settle=g["settle"],
            expiry=_parse_date(expiry_digits) if expiry_digits else None,
            strike=Decimal(g["strike"]) if g["strike"] else None,
            right=OptionRight(g["right"]) if g["right"] else None,
            base_multiplier=int(g["base_mult"] or 1),
            quote_multiplier=int(g["quote_mult"] or 1),
        )
    except ValueError as exc:
        raise ValueError(f"invalid canonical ID {text!r}: {exc}") from None
