"""Whether the gold job would find anything to do, decided without a JVM.

The hourly transform runs gold after silver; when silver published nothing (an hourly poll
with nothing new) the gold job would start Spark only to find that nothing changed (~35 s on
two cores). Gold has nothing to do exactly when its last run read the silver snapshot that
is current now, with the alias rows and the USD-equivalent set it would use now: then every
key's mapping is what it was (ADR 0009). pyiceberg answers that from metadata and the small
`gold.job_state` table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from refdata.catalog import pyiceberg_catalog
from refdata.locks import TRANSFORM_JOBS
from refdata.settings import PROJECT_ROOT, Settings

JOB = TRANSFORM_JOBS["gold"]
DEFAULT_ALIASES = PROJECT_ROOT / "refdata" / "symbology" / "data" / "asset_aliases.csv"


def last_run(job_state_rows: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The gold job's latest committed run (as the job itself orders them)."""
    runs = [r for r in job_state_rows if r["job"] == JOB]
    return max(runs, key=lambda r: (r["finished_at"], r["run_id"]), default=None)


def usd_text(usd_equivalents: Iterable[str]) -> str:
    """The USD-equivalent set as `gold.job_state.usd_equivalents` stores it."""
    return ",".join(sorted(usd_equivalents))


def same_settings(state: Mapping[str, Any], aliases_hash: str, usd_equivalents: Iterable[str]) -> bool:
    """Whether a run recorded in `state` resolved with these aliases and this USD set."""
    return state["aliases_hash"] == aliases_hash and state["usd_equivalents"] == usd_text(usd_equivalents)


def nothing_to_do(last: dict[str, Any] | None, silver_snapshot: int | None, aliases_hash: str,
                  usd_equivalents: Iterable[str]) -> str | None:
    """Why gold is current (a sentence for the task log), or None if it must run."""
    if last is None or silver_snapshot is None or last["silver_snapshot_id"] != silver_snapshot:
        return None
    if not same_settings(last, aliases_hash, usd_equivalents):
        return None
    return (f"gold is current: its last run {last['run_id']} read silver snapshot {silver_snapshot}, "
            "the current one, with the same asset aliases and USD equivalents")


def gold_is_current(settings: Settings, silver_table: str = "silver.instrument_versions",
                    gold_namespace: str = "gold", aliases_path: Path | None = None) -> str | None:
    from refdata.gold import assets as gold_assets
    from refdata.symbology import DEFAULT_USD_EQUIVALENTS, load_asset_aliases

    catalog = pyiceberg_catalog(settings)
    snapshot = catalog.load_table(silver_table).current_snapshot()
    state = catalog.load_table(f"{gold_namespace}.job_state").scan().to_arrow().to_pylist()
    aliases = load_asset_aliases(aliases_path or DEFAULT_ALIASES)
    return nothing_to_do(last_run(state), None if snapshot is None else snapshot.snapshot_id,
                         gold_assets.aliases_hash(aliases), DEFAULT_USD_EQUIVALENTS)
