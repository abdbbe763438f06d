"""Binance exchangeInfo: spot (/api/v3), USDⓈ-M (/fapi/v1) and COIN-M (/dapi/v1) futures."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from refdata.domain import InstrumentClass, InstrumentSpec, Settlement, Status
from refdata.parsing.common import Ctx, JsonObj, join, raw_json
from refdata.parsing.decimals import precision

# Binance writes 4133404800000 (2100-12-25), sometimes a few seconds/an hour later
# (4133404802000, 4133408400000), as the deliveryDate of perpetuals: anything from
# 2100-01-01 on is "no delivery date".
DELIVERY_SENTINEL_MS = 4102444800000

SPOT_STATUS: dict[str, Status] = {
    "TRADING": Status.ACTIVE,
    "BREAK": Status.HALTED,  # trading paused; a third of 2022-23 spot symbols sit here
    "HALT": Status.HALTED,
    "END_OF_DAY": Status.HALTED,
    "POST_TRADING": Status.HALTED,
    "PRE_TRADING": Status.PRE_TRADING,
    "AUCTION_MATCH": Status.PRE_TRADING,  # opening call auction: orders accepted, no continuous matching yet
}

FUTURES_STATUS: dict[str, Status] = {
    "TRADING": Status.ACTIVE,
    "PENDING_TRADING": Status.PRE_TRADING,
    "PRE_DELIVERING": Status.DELIVERING,
    "DELIVERING": Status.DELIVERING,
    "DELIVERED": Status.EXPIRED,
    "PRE_SETTLE": Status.SETTLING,
    "SETTLING": Status.SETTLING,
    "CLOSE": Status.DELISTED,
}

_PERPETUAL_TYPES = {"PERPETUAL", "TRADIFI_PERPETUAL"}
_DATED_TYPES = {"CURRENT_QUARTER", "NEXT_QUARTER", "CURRENT_MONTH", "NEXT_MONTH"}


def _root(ctx: Ctx, payload: Any) -> list[Any]:
    root = ctx.obj(payload, "")
    if "symbols" not in root and "code" in root:
        ctx.fail("", f"error envelope code {root.get('code')}: {root.get('msg')}")
    return ctx.sublist(root, "symbols", "")


def _filters(ctx: Ctx, sym: JsonObj, path: str) -> dict[str, tuple[JsonObj, str]]:
    """filterType -> (filter object, its path); the path keeps errors pointing at filters[j]."""
    found: dict[str, tuple[JsonObj, str]] = {}
    for j, raw in enumerate(ctx.sublist(sym, "filters", path)):
        fpath = f"{join(path, 'filters')}[{j}]"
        flt = ctx.obj(raw, fpath)
        found[ctx.ident(flt, "filterType", fpath)] = (flt, fpath)
    return found


def _need(ctx: Ctx, filters: dict[str, tuple[JsonObj, str]], name: str, path: str) -> tuple[JsonObj, str]:
    if name not in filters:
        ctx.fail(join(path, "filters"), f"no {name} filter")
    return filters[name]


def _common(ctx: Ctx, sym: JsonObj, path: str, notional_key: str) -> dict[str, Any]:
    """Fields every Binance market shares: assets and the filter-derived trading rules."""
    filters = _filters(ctx, sym, path)
    price, ppath = _need(ctx, filters, "PRICE_FILTER", path)
    lot, lpath = _need(ctx, filters, "LOT_SIZE", path)
    # A step/tick of 0 means "rule disabled" (e.g. a PENDING_TRADING contract): no step.
    tick = ctx.dec(price, "tickSize", ppath, zero_none=True)
    step = ctx.dec(lot, "stepSize", lpath, zero_none=True)
    fields: dict[str, Any] = {
        "base_asset": ctx.ident(sym, "baseAsset", path),
        "quote_asset": ctx.ident(sym, "quoteAsset", path),
        "tick_size": tick,
        "qty_step": step,
        "min_qty": ctx.dec(lot, "minQty", lpath),
        "max_qty": ctx.dec(lot, "maxQty", lpath),
        "price_precision": precision(tick),
        "qty_precision": precision(step),
    }
    if "MARKET_LOT_SIZE" in filters:  # absent before ~2019 and on some symbols
        mkt, mpath = filters["MARKET_LOT_SIZE"]
        fields["min_market_qty"] = ctx.dec(mkt, "minQty", mpath)
        fields["max_market_qty"] = ctx.dec(mkt, "maxQty", mpath)
    if notional_key == "minNotional":  # spot: NOTIONAL (2023+) replaced MIN_NOTIONAL
        if "NOTIONAL" in filters:
            flt, fpath = filters["NOTIONAL"]
            fields["min_notional"] = ctx.dec(flt, "minNotional", fpath)
            fields["max_notional"] = ctx.dec(flt, "maxNotional", fpath, optional=True)
        elif "MIN_NOTIONAL" in filters:
            flt, fpath = filters["MIN_NOTIONAL"]
            fields["min_notional"] = ctx.dec(flt, "minNotional", fpath)
    elif notional_key and "MIN_NOTIONAL" in filters:  # fapi calls it `notional`; dapi has none
        flt, fpath = filters["MIN_NOTIONAL"]
        fields["min_notional"] = ctx.dec(flt, notional_key, fpath)
    return fields


def parse_spot(ctx: Ctx, payload: Any) -> list[InstrumentSpec]:
    specs = []
    for i, raw in enumerate(_root(ctx, payload)):
        path = f"symbols[{i}]"
        sym = ctx.obj(raw, path)
        status_raw = ctx.ident(sym, "status", path)
        specs.append(
            InstrumentSpec(
                venue=ctx.venue,
                symbol=ctx.ident(sym, "symbol", path),
                instrument_class=InstrumentClass.SPOT,
                settlement=None,
                settle_asset=None,
                status_raw=status_raw,
                status=ctx.status(SPOT_STATUS, status_raw, join(path, "status")),
                raw=raw_json(sym),
                **_common(ctx, sym, path, "minNotional"),
            )
        )
    return specs


def _instrument_class(ctx: Ctx, sym: JsonObj, path: str, delivery_ms: int) -> InstrumentClass:
    """contractType may carry a phase suffix ("PERPETUAL DELIVERING") or be "" once a
    contract is being wound down; the first word decides, else the delivery sentinel."""
    contract_type = ctx.text(sym, "contractType", path) or ""
    head = contract_type.split(" ", 1)[0]
    if head in _PERPETUAL_TYPES:
        return InstrumentClass.PERPETUAL
    if head in _DATED_TYPES:
        return InstrumentClass.FUTURE
    if head == "":
        return InstrumentClass.PERPETUAL if delivery_ms >= DELIVERY_SENTINEL_MS else InstrumentClass.FUTURE
    ctx.fail(join(path, "contractType"), f"unknown contractType {contract_type!r}")


def _parse_futures(ctx: Ctx, payload: Any, coin_margined: bool) -> list[InstrumentSpec]:
    specs = []
    status_key = "contractStatus" if coin_margined else "status"
    for i, raw in enumerate(_root(ctx, payload)):
        path = f"symbols[{i}]"
        sym = ctx.obj(raw, path)
        delivery_ms = ctx.integer(sym, "deliveryDate", path)
        assert delivery_ms is not None
        klass = _instrument_class(ctx, sym, path, delivery_ms)
        delivery_at = ctx.time_ms(sym, "deliveryDate", path, none_from=DELIVERY_SENTINEL_MS)
        if klass is InstrumentClass.FUTURE and delivery_at is None:
            ctx.fail(join(path, "deliveryDate"), f"dated contract without a delivery date ({delivery_ms})")
        fields = _common(ctx, sym, path, "" if coin_margined else "notional")
        status_raw = ctx.ident(sym, status_key, path)
        if coin_margined:  # contractSize is in USD (quote), the position settles in the coin
            size = ctx.dec(sym, "contractSize", path)
            size_asset = fields["quote_asset"]
        else:  # USDⓈ-M quantities are in base-asset units: one contract = 1 base unit
            size, size_asset = Decimal(1), fields["base_asset"]
        specs.append(
            InstrumentSpec(
                venue=ctx.venue,
                symbol=ctx.ident(sym, "symbol", path),
                instrument_class=klass,
                settlement=Settlement.INVERSE if coin_margined else Settlement.LINEAR,
                settle_asset=ctx.ident(sym, "marginAsset", path),
                status_raw=status_raw,
                status=ctx.status(FUTURES_STATUS, status_raw, join(path, status_key)),
                contract_size=size,
                contract_size_asset=size_asset,
                # A perpetual being delisted gets a real deliveryDate: that is its delivery
                # (delisting) time, not a contractual expiry, so expiry stays None.
                expiry=delivery_at if klass is InstrumentClass.FUTURE else None,
                delivery_at=delivery_at,
                underlying=ctx.text(sym, "pair", path, optional=True, blank_none=True),
                listed_at=ctx.time_ms(sym, "onboardDate", path, optional=True, zero_none=True),
                raw=raw_json(sym),
                **fields,
            )
        )
    return specs


def parse_usdm(ctx: Ctx, payload: Any) -> list[InstrumentSpec]:
    return _parse_futures(ctx, payload, coin_margined=False)


def parse_coinm(ctx: Ctx, payload: Any) -> list[InstrumentSpec]:
    return _parse_futures(ctx, payload, coin_margined=True)
