"""Deribit JSON-RPC GET /api/v2/public/get_instruments. One response may mix kinds;
each venue keeps its own kind (combos and spot belong to neither venue)."""

from __future__ import annotations

from typing import Any

from refdata.domain import InstrumentClass, InstrumentSpec, OptionRight, Settlement, Status
from refdata.parsing.common import Ctx, JsonObj, join, raw_json
from refdata.parsing.decimals import precision

KIND: dict[str, str] = {"deribit-future": "future", "deribit-option": "option"}

# Perpetuals expire at 32503708800000 (3000-01-01): anything from year 3000 on is "never".
EXPIRY_SENTINEL_MS = 32503680000000

STATUS: dict[str, Status] = {
    "is_active=true": Status.ACTIVE,
    "is_active=false": Status.HALTED,  # listed but not tradable (e.g. not yet opened)
}

_SETTLEMENT = {"reversed": Settlement.INVERSE, "linear": Settlement.LINEAR}
_RIGHTS = {"call": OptionRight.CALL, "put": OptionRight.PUT}


def parse(ctx: Ctx, payload: Any) -> list[InstrumentSpec]:
    kind = KIND[ctx.venue]
    root = ctx.obj(payload, "")
    if "error" in root:
        err = root["error"]
        code, msg = (err.get("code"), err.get("message")) if isinstance(err, dict) else (None, err)
        ctx.fail("", f"error {code}: {msg}")
    specs = []
    for i, raw in enumerate(ctx.sublist(root, "result", "")):
        path = f"result[{i}]"
        inst = ctx.obj(raw, path)
        got = ctx.ident(inst, "kind", path)
        if got == kind:
            specs.append(_instrument(ctx, inst, path, kind))
    return specs


def _instrument(ctx: Ctx, inst: JsonObj, path: str, kind: str) -> InstrumentSpec:
    base = ctx.ident(inst, "base_currency", path)
    # counter_currency is the underlying pair's quote (USD for BTC options, whose premium
    # is quoted in BTC = quote_currency); it lines up with other venues' BTC-USD options.
    quote = ctx.text(inst, "counter_currency", path, optional=True) or ctx.ident(inst, "quote_currency", path)
    itype = ctx.text(inst, "instrument_type", path, optional=True) or ctx.ident(inst, "future_type", path)
    if itype not in _SETTLEMENT:
        ctx.fail(join(path, "instrument_type"), f"unknown instrument_type {itype!r}")
    settlement = _SETTLEMENT[itype]
    expiry = ctx.time_ms(inst, "expiration_timestamp", path, none_from=EXPIRY_SENTINEL_MS)
    period = ctx.text(inst, "settlement_period", path, optional=True)
    strike = right = None
    if kind == "option":
        klass = InstrumentClass.OPTION
        strike = ctx.dec(inst, "strike", path)
        option_type = ctx.ident(inst, "option_type", path)
        if option_type not in _RIGHTS:
            ctx.fail(join(path, "option_type"), f"unknown option_type {option_type!r}")
        right = _RIGHTS[option_type]
    elif period == "perpetual" or expiry is None:
        klass = InstrumentClass.PERPETUAL
        expiry = None
    else:
        klass = InstrumentClass.FUTURE
    if klass is not InstrumentClass.PERPETUAL and expiry is None:
        ctx.fail(join(path, "expiration_timestamp"), "dated instrument without an expiry")
    tick = ctx.dec(inst, "tick_size", path, zero_none=True)
    min_amount = ctx.dec(inst, "min_trade_amount", path)  # both the step and the minimum
    active = ctx.boolean(inst, "is_active", path)
    status_raw = f"is_active={'true' if active else 'false'}"
    return InstrumentSpec(
        venue=ctx.venue,
        symbol=ctx.ident(inst, "instrument_name", path),
        instrument_class=klass,
        settlement=settlement,
        base_asset=base,
        quote_asset=quote,
        settle_asset=ctx.ident(inst, "settlement_currency", path),
        status_raw=status_raw,
        status=ctx.status(STATUS, status_raw, join(path, "is_active")),
        tick_size=tick,
        qty_step=min_amount or None,
        min_qty=min_amount,
        price_precision=precision(tick),
        qty_precision=precision(min_amount),
        contract_size=ctx.dec(inst, "contract_size", path),
        # Inverse futures are sized in USD (10 USD per BTC contract); everything else in the base coin.
        contract_size_asset=quote if klass is not InstrumentClass.OPTION and settlement is Settlement.INVERSE else base,
        expiry=expiry,
        delivery_at=expiry,
        strike=strike,
        option_right=right,
        underlying=ctx.text(inst, "price_index", path, optional=True, blank_none=True),
        listed_at=ctx.time_ms(inst, "creation_timestamp", path, optional=True, zero_none=True),
        raw=raw_json(inst),
    )
