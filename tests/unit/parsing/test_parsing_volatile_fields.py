"""ADR 0004 measurement: between two consecutive daily Binance spot snapshots, which
normalized fields change? Only the ones in VOLATILE_FIELDS may change without meaning."""

from __future__ import annotations

from collections import Counter

from parsing_support import BINANCE_SPOT, BINANCE_USDM, by_symbol
from refdata.domain import SPEC_FIELDS, VOLATILE_FIELDS, spec_hash

DAY1 = "binance/api-v3-exchangeInfo/2022-11-03T1928Z-SM2A.json"
DAY2 = "binance/api-v3-exchangeInfo/2022-11-04T1843Z-SM2A.json"


def _changed_fields(before: dict, after: dict) -> Counter:
    changed: Counter = Counter()
    for symbol in before.keys() & after.keys():
        for name in SPEC_FIELDS:
            if getattr(before[symbol], name) != getattr(after[symbol], name):
                changed[name] += 1
    return changed


def test_daily_spot_noise_is_only_max_market_qty() -> None:
    day1, day2 = by_symbol(*BINANCE_SPOT, DAY1), by_symbol(*BINANCE_SPOT, DAY2)
    assert sorted(day1.keys() - day2.keys()) == ["AXSBIDR", "NBTBIDR", "NBTUSDT"]
    assert day2.keys() <= day1.keys()
    changed = _changed_fields(day1, day2)
    assert changed == {"max_market_qty": 1408}  # of 2120 common symbols
    assert set(changed) <= VOLATILE_FIELDS
    # ...so no contract version is created by a quiet day.
    assert all(spec_hash(day1[s]) == spec_hash(day2[s]) for s in day2)


def test_usdm_one_day_apart_is_quiet() -> None:
    day1 = by_symbol(*BINANCE_USDM, "binance/fapi-v1-exchangeInfo/2024-10-19-eddysan-TradingBotFest.json")
    day2 = by_symbol(*BINANCE_USDM, "binance/fapi-v1-exchangeInfo/2024-10-20-eddysan-TradingBotFest.json")
    assert _changed_fields(day1, day2) == {}
