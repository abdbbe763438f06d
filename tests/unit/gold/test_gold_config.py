"""Gold wiring without a JVM: gate regex, gate policy, views SQL, table schemas, the Trino
access-control files, the job's command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from refdata.domain import SPEC_FIELDS
from refdata.gold.gate import BLOCKING, CHECKS, REPORTED, java_regex
from refdata.gold.schema import SYMBOLOGY_COLUMNS, column_names, spark_ddl
from refdata.gold.views import view_definitions
from refdata.settings import Settings
from refdata.symbology import CANONICAL_ID_RE

IDS = ["BTC-USDT-SPOT", "BTC-USD-FUT-20240329.BTC", "1000_PEPE-USDT-PERP", "BTC-USD-OPT-20241227-100000-C.BTC",
       "BTC-USDC-OPT-20241227-0.5-P"]
NOT_IDS = ["BTC-USDT", "btc-usdt-spot", "BTC-USD-FUT-2024032.BTC", "BTC-USD-OPT-20241227-100000.0-C", "BTC-USDT-SPOT.USDT",
           "BTC-USD-OPT-20241227-100000-X"]


def test_the_gate_regex_is_the_grammar_without_group_names() -> None:
    java = java_regex()
    assert "(?P<" not in java and "(?<" not in java
    compiled = re.compile(f"^{java}$")
    for text in IDS:
        assert compiled.match(text) and CANONICAL_ID_RE.fullmatch(text), text
    for text in NOT_IDS:
        assert not compiled.match(text) and not CANONICAL_ID_RE.fullmatch(text), text


def test_gate_policy_blocks_on_everything_but_missing_ids() -> None:
    assert REPORTED == {"active_has_canonical_id"}
    assert BLOCKING == {"active_instrument_mapped", "one_mapping_at_any_time", "id_matches_grammar",
                        "id_xor_error", "intervals_well_formed", "unknown_assets_flagged"}
    assert {c.column for c in CHECKS} == BLOCKING | REPORTED


def test_views_read_the_configured_tables() -> None:
    views = view_definitions("refdata", "gold_x", "silver_x.versions")
    assert list(views) == ["symbology_current", "symbology_known", "symbology_timeline", "instruments_current",
                           "instruments_bitemporal", "usd_equivalents_current", "assets_current"]
    for name, (comment, select) in views.items():
        assert comment and select.startswith("SELECT ")
        assert "refdata.gold_x." in select, name
        assert " gold." not in select and "silver.instrument_versions" not in select, name
    current = views["instruments_current"][1]
    assert "FROM refdata.silver_x.versions s LEFT JOIN refdata.gold_x.symbology g" in current
    assert "s.superseded_at IS NULL AND s.valid_to IS NULL" in current
    for field in SPEC_FIELDS:  # every spec column is exposed, exchange codes under *_code
        assert f"s.{field}" in current, field
    assert "s.base_asset AS base_code" in current and "g.base_asset" in current


def test_symbology_schema_matches_the_records() -> None:
    from refdata.gold.symbology import Mapped, SymbologyRow, make_symbology_row, to_record
    from datetime import datetime

    mapped = Mapped(None, "listed", "BTC-USD-SPOT", None, "spot", None, "BTC", "USD", None, "XXBT", "ZUSD", None,
                    1, 1, None, None, None, "BTC-USD-SPOT", True, (), (), ())
    row: SymbologyRow = make_symbology_row("kraken-spot", "XXBTZUSD", datetime(2025, 1, 1), None, datetime(2026, 1, 1), mapped)
    assert tuple(to_record(row)) == column_names(SYMBOLOGY_COLUMNS)
    assert spark_ddl(SYMBOLOGY_COLUMNS).startswith("mapping_id string NOT NULL, venue string NOT NULL")


def test_gold_migration_builds_the_schemas() -> None:
    from pyiceberg.types import ListType, TimestampType

    from refdata.gold.schema import ASSET_COLUMNS, JOB_STATE_COLUMNS
    from refdata.migrations.m0020_gold_tables import VERSION, schema_of

    assert 20 <= VERSION <= 29
    symbology = schema_of(SYMBOLOGY_COLUMNS)
    assert [f.name for f in symbology.fields] == list(column_names(SYMBOLOGY_COLUMNS))
    assert isinstance(symbology.find_field("valid_from").field_type, TimestampType)
    assert symbology.find_field("valid_to").required is False and symbology.find_field("venue").required is True
    assert isinstance(symbology.find_field("unknown_assets").field_type, ListType)
    assert symbology.find_field("canonical_id").doc.startswith("canonical instrument ID")
    assert [f.name for f in schema_of(ASSET_COLUMNS).fields][:3] == ["asset_row_id", "exchange", "code"]
    assert schema_of(JOB_STATE_COLUMNS).find_field("watermark").required is False


def test_trino_gets_file_based_access_control(tmp_path: Path) -> None:
    from refdata.stack.trino import ANALYST_USER, write_config

    etc = write_config(Settings(var_dir=tmp_path, trino_user="refdata", catalog_name="refdata"))
    config = (etc / "config.properties").read_text()
    assert f"access-control.config-files={etc / 'access-control.properties'}\n" in config
    properties = (etc / "access-control.properties").read_text()
    assert "access-control.name=file\n" in properties
    assert f"security.config-file={etc / 'access-control-rules.json'}\n" in properties
    rules = json.loads((etc / "access-control-rules.json").read_text())
    assert rules["catalogs"] == [
        {"user": "refdata", "catalog": ".*", "allow": "all"},
        {"user": ANALYST_USER, "catalog": "(refdata|system)", "allow": "read-only"},
        {"catalog": ".*", "allow": "none"},
    ]
    assert ANALYST_USER == "analyst"


def test_job_command_line() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "gold_symbology_job", Path(__file__).resolve().parents[3] / "spark_jobs" / "gold_symbology.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    config = module.parse_args(["--run-id", "r1", "--silver-table", "x.versions", "--gold-namespace", "g",
                                "--usd-equivalents", "USDT,USDC"])
    assert (config.run_id, config.silver_table, config.symbology_table, config.assets_table) == (
        "r1", "x.versions", "g.symbology", "g.assets")
    assert config.usd_equivalents == frozenset({"USDT", "USDC"})
    default = module.parse_args([])
    assert (default.silver_table, default.gold_namespace, default.aliases_path) == ("silver.instrument_versions", "gold", None)
    with pytest.raises(SystemExit):
        module.parse_args(["--bogus"])
