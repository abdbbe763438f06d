"""One lock per (layer, namespace) for the transform jobs and whatever must not overlap them
(refdata.locks.transform_lock): the gold job, maintenance and the rebuild's swap take the
same key, as does the silver job."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import pytest

from refdata import locks
from refdata.settings import Settings


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    keys: list[int] = []

    @contextmanager
    def fake_lock(settings: Any, key: int, timeout: str = locks.LOCK_TIMEOUT):  # type: ignore[no-untyped-def]
        keys.append(key)
        yield

    monkeypatch.setattr(locks, "advisory_lock", fake_lock)
    return keys


def test_keys_keep_their_shape_and_differ_by_layer_and_namespace() -> None:
    settings = Settings()
    catalog = settings.catalog_name
    # What refdata.silver.job and the former gold/maintenance/rebuild code took: unchanged, so
    # processes on either side of an upgrade still exclude each other.
    assert locks.transform_lock_key(settings, "silver", "silver") == locks.job_lock_key("silver", f"{catalog}.silver")
    assert locks.transform_lock_key(settings, "gold", "gold") == locks.job_lock_key("gold_symbology", f"{catalog}.gold")
    keys = {locks.transform_lock_key(settings, layer, ns) for layer in ("silver", "gold") for ns in ("silver", "gold", "x")}
    assert len(keys) == 6
    assert not keys & {locks.lock_key("bronze", "silver"), locks.lock_key("bronze", "gold")}
    with pytest.raises(ValueError, match="no transform job writes layer 'bronze'"):
        locks.transform_lock_key(settings, "bronze", "bronze")


def test_gold_maintenance_and_rebuild_take_the_transform_locks(taken: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    from refdata import rebuild
    from refdata.gold import job as gold_job
    from refdata.maintenance import job as maintenance
    from refdata.maintenance.plan import Action

    settings = Settings()
    silver = locks.transform_lock_key(settings, "silver", "silver")
    gold = locks.transform_lock_key(settings, "gold", "gold")

    monkeypatch.setattr(gold_job, "_run_locked", lambda *args: "ran")
    assert gold_job.run(None, settings) == "ran"  # type: ignore[arg-type]
    assert taken == [gold]

    taken.clear()
    monkeypatch.setattr(maintenance, "layer_tables", lambda settings, namespaces: [])
    maintenance.run(None, settings, [Action.COMPACT])  # type: ignore[arg-type]
    assert taken == [silver, gold]  # bronze: no lock

    taken.clear()

    class Catalog:
        def __getattr__(self, name: str) -> Any:
            return lambda *args, **kwargs: []

    monkeypatch.setattr(rebuild, "pyiceberg_catalog", lambda settings: Catalog())
    rebuild._swap(settings, rebuild.Namespaces(), rebuild.Namespaces("bronze", "s_new", "g_new"), "stamp")
    assert taken == [silver, gold]
