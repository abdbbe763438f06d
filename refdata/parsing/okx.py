"""OKX GET /api/v5/public/instruments (per instType) and the retired OKEx v3
GET /api/futures/v3/instruments. In v5 every value is a string and "" means "not applicable"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from refdata.domain import InstrumentClass, InstrumentSpec, OptionRight, Settlement, Status
from refdata.parsing.common import Ctx, JsonObj, join, raw_json, type_name
from refdata.parsing.decimals import precision

INST_TYPE: dict[str, tuple[str, InstrumentClass]] = {
    "okx-spot": ("SPOT", InstrumentClass.SPOT),
    "okx-swap": ("SWAP", InstrumentClass.PERPETUAL),
    "okx-futures": ("FUTURES", InstrumentClass.FUTURE),
    "okx-option": ("OPTION", InstrumentClass.OPTION),
}

STATUS: dict[str, Status] = {
    "live": Status.ACTIVE,
    "suspend": Status.HALTED,
    "preopen": Status.PRE_TRADING,
    "test": Status.PRE_TRADING,  # test trading: listed, not open to the public yet
}

_CT_TYPE = {"linear": Settlement.LINEAR, "inverse": Settlement.INVERSE}
_RIGHTS = {"C": OptionRight.CALL, "P": OptionRight.PUT}


def _pair(ctx: Ctx, inst: JsonObj, path: str, inst_id: str) -> tuple[str, str]:
    """Base/quote of a derivative: from `uly` (BTC-USD), else from the instId itself
    (a preopen swap has every field blank: 2Z-USDT-SWAP)."""
    source = ctx.text(inst, "uly", path, blank_none=True) or inst_id
    parts = source.split("-")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        ctx.fail(join(path, "uly"), f"cannot read base/quote from {source!r}")
    return parts[0], parts[1]


def parse_v5(ctx: Ctx, payload: Any) -> list[InstrumentSpec]:
    want, klass = INST_TYPE[ctx.venue]
    root = ctx.obj(payload, "")
    code = ctx.req(root, "code", "")
    if code != "0":
        ctx.fail("", f"code {code}: {root.get('msg')}")
    specs = []
    for i, raw in enumerate(ctx.sublist(root, "data", "")):
        path = f"data[{i}]"
        inst = ctx.obj(raw, path)
        got = ctx.ident(inst, "instType", path)
        if got != want:  # e.g. a MARGIN listing is not the okx-spot venue
            ctx.fail(join(path, "instType"), f"expected {want!r} for {ctx.venue}, got {got!r}")
        specs.append(_instrument(ctx, inst, path, klass))
    return specs


def _instrument(ctx: Ctx, inst: JsonObj, path: str, klass: InstrumentClass) -> InstrumentSpec:
    def opt(key: str) -> str | None:  # required key, "" -> None
        return ctx.text(inst, key, path, blank_none=True)

    inst_id = ctx.ident(inst, "instId", path)
    if klass is InstrumentClass.SPOT:
        base, quote = ctx.ident(inst, "baseCcy", path), ctx.ident(inst, "quoteCcy", path)
    else:
        base, quote = _pair(ctx, inst, path, inst_id)
    settle = opt("settleCcy") if klass is not InstrumentClass.SPOT else None
    ct_type = opt("ctType")
    if ct_type is not None and ct_type not in _CT_TYPE:
        ctx.fail(join(path, "ctType"), f"unknown ctType {ct_type!r}")
    settlement: Settlement | None = None
    if ct_type is not None:
        settlement = _CT_TYPE[ct_type]
    elif klass is InstrumentClass.OPTION and settle is not None:
        # Options carry no ctType: coin-settled (BTC-USD options settle in BTC) is inverse.
        settlement = Settlement.INVERSE if settle == base else Settlement.LINEAR
    opt_type = opt("optType")
    if opt_type is not None and opt_type not in _RIGHTS:
        ctx.fail(join(path, "optType"), f"unknown optType {opt_type!r}")
    exp = ctx.time_ms(inst, "expTime", path, blank_none=True)
    tick = ctx.dec(inst, "tickSz", path, blank_none=True, zero_none=True)
    step = ctx.dec(inst, "lotSz", path, blank_none=True, zero_none=True)
    state = ctx.ident(inst, "state", path)
    return InstrumentSpec(
        venue=ctx.venue,
        symbol=inst_id,
        instrument_class=klass,
        settlement=settlement,
        base_asset=base,
        quote_asset=quote,
        settle_asset=settle,
        status_raw=state,
        status=ctx.status(STATUS, state, join(path, "state")),
        tick_size=tick,
        qty_step=step,
        min_qty=ctx.dec(inst, "minSz", path, blank_none=True),
        max_qty=ctx.dec(inst, "maxLmtSz", path, optional=True, blank_none=True),
        max_market_qty=ctx.dec(inst, "maxMktSz", path, optional=True, blank_none=True),
        max_notional=ctx.dec(inst, "maxLmtAmt", path, optional=True, blank_none=True),
        price_precision=precision(tick),
        qty_precision=precision(step),
        contract_size=ctx.dec(inst, "ctVal", path, blank_none=True),
        contract_size_asset=opt("ctValCcy"),
        contract_multiplier=ctx.dec(inst, "ctMult", path, blank_none=True),
        # A swap has no expiry; an expTime on one is its announced delisting time.
        expiry=None if klass is InstrumentClass.PERPETUAL else exp,
        delivery_at=exp,
        strike=ctx.dec(inst, "stk", path, blank_none=True),
        option_right=_RIGHTS[opt_type] if opt_type else None,
        underlying=opt("uly") or ctx.text(inst, "instFamily", path, optional=True, blank_none=True),
        listed_at=ctx.time_ms(inst, "listTime", path, blank_none=True, zero_none=True),
        raw=raw_json(inst),
    )


def parse_v3_futures(ctx: Ctx, payload: Any) -> list[InstrumentSpec]:
    if isinstance(payload, dict):
        code = payload.get("code", payload.get("error_code"))
        msg = payload.get("message", payload.get("error_message", payload.get("msg")))
        ctx.fail("", f"error envelope code {code}: {msg}")
    if not isinstance(payload, list):
        ctx.fail("", f"expected a list of instruments, got {type_name(payload)}")
    specs = []
    for i, raw in enumerate(payload):
        path = f"[{i}]"
        inst = ctx.obj(raw, path)
        inverse = ctx.ident(inst, "is_inverse", path)
        if inverse not in ("true", "false"):
            ctx.fail(join(path, "is_inverse"), f"expected 'true' or 'false', got {inverse!r}")
        base = ctx.text(inst, "base_currency", path, optional=True, blank_none=True)
        base = base or ctx.ident(inst, "underlying_index", path)
        quote = ctx.ident(inst, "quote_currency", path)
        tick = ctx.dec(inst, "tick_size", path, zero_none=True)
        step = ctx.dec(inst, "trade_increment", path, zero_none=True)
        delivery = _date(ctx, inst, "delivery", path)
        settle = ctx.text(inst, "settlement_currency", path, optional=True, blank_none=True)
        specs.append(
            InstrumentSpec(
                venue=ctx.venue,
                symbol=ctx.ident(inst, "instrument_id", path),
                instrument_class=InstrumentClass.FUTURE,
                settlement=Settlement.INVERSE if inverse == "true" else Settlement.LINEAR,
                base_asset=base,
                quote_asset=quote,
                settle_asset=settle or (base if inverse == "true" else quote),
                status_raw=None,  # v3 listed only tradable contracts and had no status
                status=Status.ACTIVE,
                tick_size=tick,
                qty_step=step,
                price_precision=precision(tick),
                qty_precision=precision(step),
                contract_size=ctx.dec(inst, "contract_val", path),
                contract_size_asset=ctx.text(inst, "contract_val_currency", path, optional=True, blank_none=True)
                or (quote if inverse == "true" else base),
                # v3 gives dates only (delivery was 08:00 UTC); we keep midnight, not a guess.
                expiry=delivery,
                delivery_at=delivery,
                underlying=ctx.text(inst, "underlying", path, optional=True, blank_none=True),
                listed_at=_date(ctx, inst, "listing", path),
                raw=raw_json(inst),
            )
        )
    return specs


def _date(ctx: Ctx, obj: JsonObj, key: str, path: str) -> datetime:
    text = ctx.ident(obj, key, path)
    try:
        return datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        ctx.fail(join(path, key), f"expected a YYYY-MM-DD date, got {text!r}")
