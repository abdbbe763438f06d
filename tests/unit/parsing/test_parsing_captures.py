"""Every capture under shared/exchange-captures parses to exactly the number of instruments
PROVENANCE.md lists for it (the "instruments" column)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from parsing_support import (
    BINANCE_COINM,
    BINANCE_SPOT,
    BINANCE_USDM,
    BYBIT,
    CAPTURES,
    COINBASE,
    DERIBIT,
    DERIBIT_FILE,
    KRAKEN,
    OKX_V3,
    OKX_V5,
    capture_bytes,
    parsed,
)
from refdata.errors import MalformedResponse
from refdata.parsing import parse_listing

_BS, _BU = "binance/api-v3-exchangeInfo/", "binance/fapi-v1-exchangeInfo/"
_KR, _BY, _OK = "kraken/0-public-AssetPairs/", "bybit/v5-market-instruments-info/", "okx/api-v5-public-instruments/"

# (file under exchange-captures/, venue, endpoint, instruments per PROVENANCE.md)
EXPECTED: list[tuple[str, str, str, int]] = [
    (_BS + "2018-02-10-oiovoyo-go-binance.json", *BINANCE_SPOT, 265),
    (_BS + "2018-08-02-rudijs-binance-scripts.json", *BINANCE_SPOT, 384),
    (_BS + "2020-10-07-jobymathew.json", *BINANCE_SPOT, 1089),
    (_BS + "2020-10-09-staffordsmith83-cryptoGraph.json", *BINANCE_SPOT, 1089),
    (_BS + "2020-11-01-CrYptOz007-cryptograph-dsa.json", *BINANCE_SPOT, 1141),
    (_BS + "2022-11-03T1928Z-SM2A.json", *BINANCE_SPOT, 2123),
    (_BS + "2022-11-04T1843Z-SM2A.json", *BINANCE_SPOT, 2120),
    (_BS + "2022-11-08T0117Z-SM2A.json", *BINANCE_SPOT, 2123),
    (_BS + "2022-11-16T0114Z-SM2A.json", *BINANCE_SPOT, 2123),
    (_BS + "2022-12-17T0058Z-SM2A.json", *BINANCE_SPOT, 2137),
    (_BS + "2023-04-14T0911Z-SM2A.json", *BINANCE_SPOT, 2187),
    (_BS + "2024-09-08-davijr-robo-investimentos.json", *BINANCE_SPOT, 1248),
    ("binance/dapi-v1-exchangeInfo/2025-10-10-eduDorus-arkin.json", *BINANCE_COINM, 54),
    (_BU + "2021-09-06-izzortsi-rezbot.json", *BINANCE_USDM, 133),
    (_BU + "2022-05-04-gustavoparedes1978.json", *BINANCE_USDM, 155),
    (_BU + "2024-09-10-eduDorus-arkin.json", *BINANCE_USDM, 334),
    (_BU + "2024-10-19-eddysan-TradingBotFest.json", *BINANCE_USDM, 347),
    (_BU + "2024-10-20-eddysan-TradingBotFest.json", *BINANCE_USDM, 347),
    (_BU + "2024-10-23-eduDorus-arkin.json", *BINANCE_USDM, 349),
    (_BU + "2025-03-06-baouih-binance.json", *BINANCE_USDM, 438),
    (_BU + "2025-08-22-eduDorus-arkin.json", *BINANCE_USDM, 556),
    (_BU + "2025-10-28-AlphaDogsResearch.json", *BINANCE_USDM, 630),
    (_BU + "2025-10-29-AlphaDogsResearch.json", *BINANCE_USDM, 632),
    (_BY + "2023-09-06-knowm-XChange-spot.json", "bybit-spot", BYBIT, 2),
    (_BY + "2023-09-14-nautilus-linear.json", "bybit-linear", BYBIT, 2),
    (_BY + "2023-09-14-nautilus-option.json", "bybit-option", BYBIT, 2),
    (_BY + "2023-09-14-nautilus-spot.json", "bybit-spot", BYBIT, 2),
    ("coinbase/products/2018-08-10-knowm-XChange.json", *COINBASE, 10),
    ("coinbase/products/2021-07-est-ukd1-crypto-prices.json", *COINBASE, 236),
    (_KR + "2013-11-22-knowm-XChange.json", *KRAKEN, 17),
    (_KR + "2014-02-07-knowm-XChange.json", *KRAKEN, 21),
    (_KR + "2015-03-03-triplechoccookie-kraken-API.json", *KRAKEN, 14),
    (_KR + "2017-08-07-knowm-XChange.json", *KRAKEN, 67),
    (_KR + "2019-08-10-knowm-XChange.json", *KRAKEN, 86),
    (_KR + "2025-06-11-Richierichman15-finance.json", *KRAKEN, 1042),
    (_KR + "2025-09-11-Richierichman15-finance.json", *KRAKEN, 1218),
    ("okx/api-futures-v3-instruments/2021-03-12to19-LeChinok-Crypto-Quoting-Engine.json", "okx-futures", OKX_V3, 88),
    (_OK + "2025-07-13-nautilus-FUTURES.json", "okx-futures", OKX_V5, 6),
    (_OK + "2025-07-13-nautilus-OPTION.json", "okx-option", OKX_V5, 4),
    (_OK + "2025-07-13-nautilus-SPOT.json", "okx-spot", OKX_V5, 5),
    (_OK + "2025-10-02-eduDorus-arkin-SWAP.json", "okx-swap", OKX_V5, 255),
    (_OK + "2025-10-24-nautilus-SWAP.json", "okx-swap", OKX_V5, 3),
]

OKX_MARGIN = _OK + "2025-07-13-nautilus-MARGIN.json"
KRAKEN_ASSETS_DIR = "kraken/0-public-Assets/"

# Deribit: one all-currencies, all-kinds response (PROVENANCE: 4977 instruments).
DERIBIT_TOTAL = 4977
DERIBIT_OURS = {"deribit-future": 38, "deribit-option": 4790}
DERIBIT_NOT_OURS = {"future_combo": 58, "option_combo": 73, "spot": 18}


def test_every_capture_file_is_in_a_table() -> None:
    on_disk = {str(p.relative_to(CAPTURES)) for p in CAPTURES.rglob("*.json")}
    covered = {row[0] for row in EXPECTED} | {OKX_MARGIN, DERIBIT_FILE}
    assets = {f for f in on_disk if f.startswith(KRAKEN_ASSETS_DIR)}
    assert len(assets) == 3  # covered by test_parsing_kraken
    assert on_disk - assets == covered


@pytest.mark.parametrize(("rel", "venue", "endpoint", "count"), EXPECTED, ids=[r[0] for r in EXPECTED])
def test_instrument_count_matches_provenance(rel: str, venue: str, endpoint: str, count: int) -> None:
    specs = parsed(venue, endpoint, rel)
    assert len(specs) == count
    assert len({s.symbol for s in specs}) == count
    assert all(s.venue == venue for s in specs)


def test_deribit_counts_per_kind_add_up() -> None:
    kinds = Counter(item["kind"] for item in json.loads(capture_bytes(DERIBIT_FILE))["result"])
    assert sum(kinds.values()) == DERIBIT_TOTAL
    assert {k: kinds[k] for k in DERIBIT_NOT_OURS} == DERIBIT_NOT_OURS
    counts = {venue: len(parsed(venue, DERIBIT, DERIBIT_FILE)) for venue in DERIBIT_OURS}
    assert counts == DERIBIT_OURS
    assert sum(counts.values()) == DERIBIT_TOTAL - sum(DERIBIT_NOT_OURS.values())


def test_okx_margin_listing_is_not_okx_spot() -> None:
    """instType MARGIN is OKX's margin view of spot pairs, not one of our venues: parsing it
    as okx-spot must fail rather than double-list the spot pairs."""
    with pytest.raises(MalformedResponse) as err:
        parse_listing("okx-spot", OKX_V5, [capture_bytes(OKX_MARGIN)])
    assert str(err.value) == (
        "okx-spot GET /api/v5/public/instruments: data[0].instType: expected 'SPOT' for okx-spot, got 'MARGIN'"
    )
