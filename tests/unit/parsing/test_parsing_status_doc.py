"""docs/status-mapping.md and the parsers' status tables say the same thing."""

from __future__ import annotations

import re

import pytest

from refdata.domain import Status
from refdata.parsing import binance, bybit, coinbase, deribit, kraken, okx
from refdata.settings import PROJECT_ROOT

DOC = (PROJECT_ROOT / "docs" / "status-mapping.md").read_text()

TABLES: dict[str, dict[str, Status]] = {
    "## Binance spot": binance.SPOT_STATUS,
    "## Binance USDⓈ-M / COIN-M": binance.FUTURES_STATUS,
    "## Kraken": kraken.PAIR_STATUS,
    "## Bybit v5": bybit.STATUS,
    "## Coinbase Exchange": {**coinbase.STATUS, **{flag: status for flag, status in coinbase.FLAGS}},
    "## OKX v5": okx.STATUS,
    "## Deribit": deribit.STATUS,
}


def _section(heading: str) -> dict[str, str]:
    start = DOC.index(heading)
    end = DOC.find("\n## ", start + 1)
    rows = re.findall(r"^\| `([^`]+)` \| `([a-z_]+)` \|", DOC[start : end if end > 0 else None], re.M)
    return dict(rows)


@pytest.mark.parametrize("heading", list(TABLES))
def test_doc_table_equals_code_table(heading: str) -> None:
    assert _section(heading) == {raw: status.value for raw, status in TABLES[heading].items()}
