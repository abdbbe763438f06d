"""gold.assets: the alias CSV loaded bitemporally (reload = no-op, change = supersede)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest

from refdata.gold.assets import (
    AliasInTheFuture,
    aliases_from_records,
    aliases_hash,
    plan_asset_load,
)
from refdata.symbology import AssetResolver, load_asset_aliases, parse_asset_aliases
from refdata.symbology.assets import DEFAULT_ALIAS_FILE

L1 = datetime(2026, 11, 25, 6, 0)
L2 = datetime(2026, 11, 25, 7, 0)
SOURCE = "refdata/symbology/data/asset_aliases.csv"


def _csv_text() -> str:
    from importlib import resources

    return resources.files("refdata.symbology").joinpath("data", DEFAULT_ALIAS_FILE).read_text(encoding="utf-8")


def _apply(table: list[dict], plan) -> list[dict]:  # type: ignore[no-untyped-def]
    superseded = dict(plan.to_supersede)
    out = [dict(r, superseded_at=superseded.get(r["asset_row_id"], r["superseded_at"])) for r in table]
    return out + [dict(r) for r in plan.to_insert]


def test_first_load_inserts_every_row_with_both_system_times() -> None:
    aliases = load_asset_aliases()
    plan = plan_asset_load([], aliases, L1, SOURCE)
    assert len(plan.to_insert) == len(aliases) == 154
    assert plan.to_supersede == ()
    xxbt = next(r for r in plan.to_insert if (r["exchange"], r["code"]) == ("kraken", "XXBT"))
    assert (xxbt["canonical"], xxbt["kind"], xxbt["multiplier"], xxbt["valid_from"], xxbt["valid_to"]) == (
        "BTC", "legacy", Decimal(1), None, None)
    assert (xxbt["asserted_at"], xxbt["recorded_at"], xxbt["superseded_at"]) == (
        datetime(2026, 11, 25), L1, None)
    luna = sorted((r for r in plan.to_insert if (r["exchange"], r["code"]) == ("binance", "LUNA")),
                  key=lambda r: r["valid_from"] or datetime.min)
    assert [(r["canonical"], r["valid_from"], r["valid_to"]) for r in luna] == [
        ("LUNC", None, datetime(2022, 5, 28)), ("LUNA", datetime(2022, 5, 28), None)]
    assert len({r["asset_row_id"] for r in plan.to_insert}) == 154


def test_reloading_the_same_csv_plans_nothing() -> None:
    table = _apply([], plan_asset_load([], load_asset_aliases(), L1, SOURCE))
    again = plan_asset_load([r for r in table if r["superseded_at"] is None], load_asset_aliases(), L2, SOURCE)
    assert again.is_empty
    # Read back from Iceberg, decimals come padded; still the same content.
    padded = [dict(r, multiplier=Decimal(r["multiplier"]).quantize(Decimal("1e-18"))) for r in table]
    assert plan_asset_load(padded, load_asset_aliases(), L2, SOURCE).is_empty


def test_a_changed_row_supersedes_the_old_one_and_a_removed_row_is_superseded() -> None:
    table = _apply([], plan_asset_load([], load_asset_aliases(), L1, SOURCE))
    text = _csv_text()
    edited = text.replace("kraken,XXDG,DOGE,1,legacy", "kraken,XXDG,DOGE2,1,legacy")
    assert edited != text
    removed_line = next(line for line in text.splitlines() if line.startswith("*,XZC,FIRO"))
    edited = edited.replace(removed_line + "\n", "")
    plan = plan_asset_load([r for r in table if r["superseded_at"] is None], parse_asset_aliases(edited), L2, SOURCE)
    by_id = {r["asset_row_id"]: r for r in table}
    superseded = sorted((by_id[i]["code"], at) for i, at in plan.to_supersede)
    assert superseded == [("XXDG", L2), ("XZC", L2)]
    assert [(r["code"], r["canonical"], r["recorded_at"]) for r in plan.to_insert] == [("XXDG", "DOGE2", L2)]
    after = _apply(table, plan)
    assert len(after) == 155 and sum(r["superseded_at"] is None for r in after) == 153
    # As of L1 the table still says DOGE; the resolver built from the current rows says DOGE2.
    at_l1 = [r for r in after if r["recorded_at"] <= L1 and (r["superseded_at"] is None or L1 < r["superseded_at"])]
    assert {r["canonical"] for r in at_l1 if r["code"] == "XXDG"} == {"DOGE"}
    resolver = AssetResolver(aliases_from_records(plan.current_after))
    assert resolver("kraken-spot", "XXDG").canonical == "DOGE2"
    assert resolver("binance-spot", "XZC").known is False


def test_rows_recorded_in_the_future_are_refused() -> None:
    aliases = load_asset_aliases()
    future = replace(aliases[0], recorded_at=datetime(2030, 1, 1), line=2)
    with pytest.raises(AliasInTheFuture, match=r"line 2 \(\* BCHABC recorded_at 2030-01-01 00:00:00\)"):
        plan_asset_load([], [future, *aliases[1:]], L1, SOURCE)


def test_the_table_resolves_like_the_csv() -> None:
    aliases = load_asset_aliases()
    from_table = aliases_from_records(plan_asset_load([], aliases, L1, SOURCE).current_after)
    csv, table = AssetResolver(aliases), AssetResolver(from_table)
    for venue, code, at in [("kraken-spot", "XXBT", None), ("binance-spot", "LUNA", datetime(2022, 5, 1)),
                            ("binance-spot", "LUNA", datetime(2022, 6, 1)), ("binance-usdm", "1000PEPE", None),
                            ("binance-spot", "BTC", None), ("kraken-spot", "XTZ", None)]:
        a, b = csv(venue, code, at), table(venue, code, at)
        assert (a.canonical, a.multiplier, a.known, a.kind) == (b.canonical, b.multiplier, b.known, b.kind)
    assert aliases_hash(from_table) == aliases_hash(aliases)


def test_alias_hash_ignores_notes_only() -> None:
    aliases = load_asset_aliases()
    assert aliases_hash([replace(aliases[0], note="reworded"), *aliases[1:]]) == aliases_hash(aliases)
    assert aliases_hash([replace(aliases[0], canonical="BCH2"), *aliases[1:]]) != aliases_hash(aliases)
    assert aliases_hash([replace(aliases[0], recorded_at=L1), *aliases[1:]]) != aliases_hash(aliases)
