"""Kraken spot: GET /0/public/AssetPairs (listing) and GET /0/public/Assets (asset table)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from refdata.domain import InstrumentClass, InstrumentSpec, Status
from refdata.parsing.common import Ctx, JsonObj, join, raw_json
from refdata.parsing.decimals import precision, step_from_decimals

ASSETS_ENDPOINT = "GET /0/public/Assets"

PAIR_STATUS: dict[str, Status] = {
    "online": Status.ACTIVE,
    "cancel_only": Status.CANCEL_ONLY,
    "post_only": Status.POST_ONLY,
    "limit_only": Status.LIMIT_ONLY,
    "reduce_only": Status.REDUCE_ONLY,
    "delisted": Status.DELISTED,
}


@dataclass(frozen=True)
class KrakenAsset:
    """One row of /0/public/Assets; `status` is absent from responses before ~2020."""

    code: str  # the key, e.g. XXBT
    altname: str  # e.g. XBT
    decimals: int
    display_decimals: int
    status: str | None
    aclass: str | None


def _result(ctx: Ctx, payload: Any) -> JsonObj:
    root = ctx.obj(payload, "")
    errors = ctx.sublist(root, "error", "")
    # Entries starting with "W" are warnings; anything else is an error envelope.
    real = [e for e in errors if not (isinstance(e, str) and e.startswith("W"))]
    if real:
        ctx.fail("error", f"{real!r}")
    return ctx.sub(root, "result", "")


def parse_pairs(ctx: Ctx, payload: Any) -> list[InstrumentSpec]:
    specs = []
    for key, raw in _result(ctx, payload).items():
        path = f"result.{key}"
        pair = ctx.obj(raw, path)
        # tick_size appeared in 2024-25; before, the price grid is 10^-pair_decimals.
        tick = ctx.dec(pair, "tick_size", path, optional=True, zero_none=True)
        if tick is None:
            tick = step_from_decimals(_places(ctx, pair, "pair_decimals", path))
        step = step_from_decimals(_places(ctx, pair, "lot_decimals", path))
        status_raw = ctx.text(pair, "status", path, optional=True)
        specs.append(
            InstrumentSpec(
                venue=ctx.venue,
                symbol=key,  # the pair key (XXBTZUSD, XETHXXBT.d); altname/wsname stay in raw
                instrument_class=InstrumentClass.SPOT,
                settlement=None,
                base_asset=ctx.ident(pair, "base", path),
                quote_asset=ctx.ident(pair, "quote", path),
                settle_asset=None,
                status_raw=status_raw,
                # No status field before ~2020: a pair listed by AssetPairs was tradable.
                status=(
                    Status.ACTIVE if status_raw is None else ctx.status(PAIR_STATUS, status_raw, join(path, "status"))
                ),
                tick_size=tick,
                qty_step=step,
                min_qty=ctx.dec(pair, "ordermin", path, optional=True),
                min_notional=ctx.dec(pair, "costmin", path, optional=True),
                price_precision=precision(tick),
                qty_precision=precision(step),
                raw=raw_json(pair),
            )
        )
    return specs


def _places(ctx: Ctx, obj: JsonObj, key: str, path: str) -> int:
    value = ctx.integer(obj, key, path)
    assert value is not None
    if value > 30:
        ctx.fail(join(path, key), f"implausible number of decimals {value}")
    return value


def parse_assets(ctx: Ctx, payload: Any) -> dict[str, KrakenAsset]:
    assets = {}
    for code, raw in _result(ctx, payload).items():
        path = f"result.{code}"
        obj = ctx.obj(raw, path)
        assets[code] = KrakenAsset(
            code=code,
            altname=ctx.ident(obj, "altname", path),
            decimals=_places(ctx, obj, "decimals", path),
            display_decimals=_places(ctx, obj, "display_decimals", path),
            status=ctx.text(obj, "status", path, optional=True),
            aclass=ctx.text(obj, "aclass", path, optional=True),
        )
    return assets
