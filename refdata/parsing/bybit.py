"""Bybit v5 GET /v5/market/instruments-info; the venue is the `category` query parameter."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from refdata.domain import InstrumentClass, InstrumentSpec, OptionRight, Settlement, Status
from refdata.parsing.common import Ctx, JsonObj, join, raw_json
from refdata.parsing.decimals import precision, to_decimal

CATEGORY: dict[str, str] = {
    "bybit-spot": "spot",
    "bybit-linear": "linear",
    "bybit-inverse": "inverse",
    "bybit-option": "option",
}

STATUS: dict[str, Status] = {
    "Trading": Status.ACTIVE,
    "PreLaunch": Status.PRE_TRADING,
    "Settling": Status.SETTLING,
    "Delivering": Status.DELIVERING,
    "Closed": Status.DELISTED,
}

# contractType -> (class, settlement, category it belongs to)
CONTRACT_TYPES: dict[str, tuple[InstrumentClass, Settlement, str]] = {
    "LinearPerpetual": (InstrumentClass.PERPETUAL, Settlement.LINEAR, "linear"),
    "LinearFutures": (InstrumentClass.FUTURE, Settlement.LINEAR, "linear"),
    "InversePerpetual": (InstrumentClass.PERPETUAL, Settlement.INVERSE, "inverse"),
    "InverseFutures": (InstrumentClass.FUTURE, Settlement.INVERSE, "inverse"),
}

_RIGHTS = {"Call": OptionRight.CALL, "Put": OptionRight.PUT}


def _list(ctx: Ctx, payload: Any, category: str) -> list[Any]:
    root = ctx.obj(payload, "")
    code = ctx.req(root, "retCode", "")
    if code != 0:
        ctx.fail("", f"retCode {code}: {root.get('retMsg')}")
    result = ctx.sub(root, "result", "")
    got = ctx.text(result, "category", "result", optional=True, blank_none=True)
    if got is not None and got != category:  # some recordings omit it; when present it must match
        ctx.fail("result.category", f"expected {category!r}, got {got!r}")
    return ctx.sublist(result, "list", "result")


def parse(ctx: Ctx, payload: Any) -> list[InstrumentSpec]:
    category = CATEGORY[ctx.venue]
    specs = []
    for i, raw in enumerate(_list(ctx, payload, category)):
        path = f"result.list[{i}]"
        item = ctx.obj(raw, path)
        base = ctx.ident(item, "baseCoin", path)
        quote = ctx.ident(item, "quoteCoin", path)
        tick = ctx.dec(ctx.sub(item, "priceFilter", path), "tickSize", join(path, "priceFilter"), zero_none=True)
        status_raw = ctx.ident(item, "status", path)
        common: dict[str, Any] = dict(
            venue=ctx.venue,
            symbol=ctx.ident(item, "symbol", path),
            base_asset=base,
            quote_asset=quote,
            status_raw=status_raw,
            status=ctx.status(STATUS, status_raw, join(path, "status")),
            tick_size=tick,
            price_precision=precision(tick),
            listed_at=ctx.time_ms(item, "launchTime", path, optional=True, blank_none=True, zero_none=True),
            raw=raw_json(item),
        )
        if category == "spot":
            specs.append(_spot(ctx, item, path, common))
        else:
            specs.append(_derivative(ctx, item, path, category, common))
    return specs


def _spot(ctx: Ctx, item: JsonObj, path: str, common: dict[str, Any]) -> InstrumentSpec:
    lpath = join(path, "lotSizeFilter")
    lot = ctx.sub(item, "lotSizeFilter", path)
    step = ctx.dec(lot, "basePrecision", lpath, zero_none=True)  # spot's quantity step
    return InstrumentSpec(
        instrument_class=InstrumentClass.SPOT,
        settlement=None,
        settle_asset=None,
        qty_step=step,
        qty_precision=precision(step),
        min_qty=ctx.dec(lot, "minOrderQty", lpath),
        max_qty=ctx.dec(lot, "maxOrderQty", lpath),
        min_notional=ctx.dec(lot, "minOrderAmt", lpath),
        max_notional=ctx.dec(lot, "maxOrderAmt", lpath, optional=True, blank_none=True),
        **common,
    )


def _derivative(ctx: Ctx, item: JsonObj, path: str, category: str, common: dict[str, Any]) -> InstrumentSpec:
    base, quote = common["base_asset"], common["quote_asset"]
    settle = ctx.ident(item, "settleCoin", path)
    # deliveryTime "0" is the perpetuals' placeholder for "no delivery".
    delivery = ctx.time_ms(item, "deliveryTime", path, zero_none=True)
    strike = right = None
    if category == "option":
        klass = InstrumentClass.OPTION
        # USDC/USDT-settled options are linear; coin-settled would be inverse.
        settlement = Settlement.INVERSE if settle == base else Settlement.LINEAR
        right, strike = _option_terms(ctx, item, path)
        size, size_asset = Decimal(1), base  # one option = one unit of the base coin
    else:
        ctype = ctx.ident(item, "contractType", path)
        if ctype not in CONTRACT_TYPES or CONTRACT_TYPES[ctype][2] != category:
            ctx.fail(join(path, "contractType"), f"unexpected contractType {ctype!r} for category {category!r}")
        klass, settlement, _ = CONTRACT_TYPES[ctype]
        # Linear quantities are in the base coin, inverse ones in the quote currency (USD).
        size, size_asset = Decimal(1), (base if settlement is Settlement.LINEAR else quote)
    if klass is not InstrumentClass.PERPETUAL and delivery is None:
        ctx.fail(join(path, "deliveryTime"), "dated contract without a delivery time")
    lpath = join(path, "lotSizeFilter")
    lot = ctx.sub(item, "lotSizeFilter", path)
    step = ctx.dec(lot, "qtyStep", lpath, zero_none=True)
    return InstrumentSpec(
        instrument_class=klass,
        settlement=settlement,
        settle_asset=settle,
        qty_step=step,
        qty_precision=precision(step),
        min_qty=ctx.dec(lot, "minOrderQty", lpath),
        max_qty=ctx.dec(lot, "maxOrderQty", lpath),
        max_market_qty=ctx.dec(lot, "maxMktOrderQty", lpath, optional=True, blank_none=True),
        min_notional=ctx.dec(lot, "minNotionalValue", lpath, optional=True, blank_none=True),
        contract_size=size,
        contract_size_asset=size_asset,
        expiry=None if klass is InstrumentClass.PERPETUAL else delivery,
        delivery_at=delivery,
        strike=strike,
        option_right=right,
        **common,
    )


def _option_terms(ctx: Ctx, item: JsonObj, path: str) -> tuple[OptionRight, Decimal]:
    """Right from optionsType; strike from the symbol (BTC-29SEP23-26000-C[-USDT]), which
    is the only place Bybit publishes it. The symbol's C/P must agree with optionsType."""
    kind = ctx.ident(item, "optionsType", path)
    if kind not in _RIGHTS:
        ctx.fail(join(path, "optionsType"), f"unknown optionsType {kind!r}")
    right = _RIGHTS[kind]
    symbol = str(item["symbol"])
    parts = symbol.split("-")
    try:
        strike = to_decimal(parts[2])
        if parts[3] != right.value:
            raise ValueError(f"right {parts[3]!r} disagrees with optionsType {kind!r}")
    except (IndexError, ValueError) as exc:
        ctx.fail(join(path, "symbol"), f"cannot read strike/right from {symbol!r}: {exc}")
    return right, strike
