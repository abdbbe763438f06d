"""Coinbase Exchange (ex GDAX/Pro) GET /products: a bare JSON list of products."""

from __future__ import annotations

from typing import Any

from refdata.domain import InstrumentClass, InstrumentSpec, Status
from refdata.parsing.common import Ctx, JsonObj, join, raw_json, type_name
from refdata.parsing.decimals import precision

STATUS: dict[str, Status] = {
    "online": Status.ACTIVE,
    "offline": Status.HALTED,
    "internal": Status.HALTED,  # visible to Coinbase only: not tradable by the public
    "delisted": Status.DELISTED,
}

# Trading-mode flags refine an "online" product, most restrictive first.
FLAGS: tuple[tuple[str, Status], ...] = (
    ("trading_disabled", Status.HALTED),
    ("cancel_only", Status.CANCEL_ONLY),
    ("post_only", Status.POST_ONLY),
    ("limit_only", Status.LIMIT_ONLY),
)


def _status(ctx: Ctx, product: JsonObj, path: str, raw: str) -> Status:
    status = ctx.status(STATUS, raw, join(path, "status"))
    if status is not Status.ACTIVE:
        return status
    for flag, flagged in FLAGS:
        if ctx.boolean(product, flag, path, optional=True):
            return flagged
    return status


def parse(ctx: Ctx, payload: Any) -> list[InstrumentSpec]:
    if isinstance(payload, dict) and "message" in payload:
        ctx.fail("", f"error envelope: message {payload['message']!r}")
    if not isinstance(payload, list):
        ctx.fail("", f"expected a list of products, got {type_name(payload)}")
    specs = []
    for i, raw in enumerate(payload):
        path = f"[{i}]"
        product = ctx.obj(raw, path)
        tick = ctx.dec(product, "quote_increment", path, zero_none=True)
        # GDAX-era (2018) products have no base_increment: the step is unknown, not 0.
        step = ctx.dec(product, "base_increment", path, optional=True, zero_none=True)
        status_raw = ctx.ident(product, "status", path)
        specs.append(
            InstrumentSpec(
                venue=ctx.venue,
                symbol=ctx.ident(product, "id", path),
                instrument_class=InstrumentClass.SPOT,
                settlement=None,
                base_asset=ctx.ident(product, "base_currency", path),
                quote_asset=ctx.ident(product, "quote_currency", path),
                settle_asset=None,
                status_raw=status_raw,
                status=_status(ctx, product, path, status_raw),
                tick_size=tick,
                qty_step=step,
                # base_min_size/base_max_size/max_market_funds were dropped by Coinbase in 2022.
                min_qty=ctx.dec(product, "base_min_size", path, optional=True),
                max_qty=ctx.dec(product, "base_max_size", path, optional=True),
                min_notional=ctx.dec(product, "min_market_funds", path, optional=True),
                max_notional=ctx.dec(product, "max_market_funds", path, optional=True),
                price_precision=precision(tick),
                qty_precision=precision(step),
                raw=raw_json(product),
            )
        )
    return specs
