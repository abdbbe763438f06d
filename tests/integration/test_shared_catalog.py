"""One Iceberg catalog, three engines: Spark writes and merges, pyiceberg and Trino read."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.integration


def test_spark_merge_is_visible_to_pyiceberg_and_trino(settings, spark, trino_cursor) -> None:
    from refdata.catalog import pyiceberg_catalog

    table = f"bronze.catalog_check_{uuid.uuid4().hex[:8]}"
    qualified = f"{settings.catalog_name}.{table}"
    spark.sql(f"CREATE TABLE {qualified} (id bigint, tick decimal(38, 18), note string) USING iceberg")
    spark.sql(f"INSERT INTO {qualified} VALUES (1, 0.01, 'a'), (2, 0.5, 'b')")
    spark.sql(
        f"""MERGE INTO {qualified} t
            USING (SELECT 2 AS id, CAST(0.25 AS decimal(38, 18)) AS tick, 'b2' AS note
                   UNION ALL SELECT 3, CAST(1 AS decimal(38, 18)), 'c') s
            ON t.id = s.id
            WHEN MATCHED THEN UPDATE SET *
            WHEN NOT MATCHED THEN INSERT *"""
    )
    expected = [(1, "0.010000000000000000", "a"), (2, "0.250000000000000000", "b2"), (3, "1.000000000000000000", "c")]

    spark_rows = [(r.id, str(r.tick), r.note) for r in spark.sql(f"SELECT * FROM {qualified} ORDER BY id").collect()]
    assert spark_rows == expected

    iceberg_table = pyiceberg_catalog(settings).load_table(table)
    arrow_rows = sorted(iceberg_table.scan().to_arrow().to_pylist(), key=lambda row: row["id"])
    assert [(r["id"], str(r["tick"]), r["note"]) for r in arrow_rows] == expected

    trino_cursor.execute(f"SELECT id, CAST(tick AS varchar), note FROM {table} ORDER BY id")
    assert [tuple(row) for row in trino_cursor.fetchall()] == [
        (1, "0.010000000000000000", "a"),
        (2, "0.250000000000000000", "b2"),
        (3, "1.000000000000000000", "c"),
    ]

    spark_snapshots = [r.snapshot_id for r in spark.sql(f"SELECT snapshot_id FROM {qualified}.snapshots ORDER BY committed_at").collect()]
    namespace, name = table.split(".")
    trino_cursor.execute(f'SELECT snapshot_id, operation FROM {namespace}."{name}$snapshots" ORDER BY committed_at')
    trino_snapshots = trino_cursor.fetchall()
    assert [row[0] for row in trino_snapshots] == spark_snapshots
    assert [row[1] for row in trino_snapshots] == ["append", "overwrite"]
    assert len(spark_snapshots) == 2


def test_migrations_are_applied_once(settings, stack, trino_cursor) -> None:
    from refdata.migrations.runner import discover, migrate

    assert migrate(settings) == []  # the stack start-up already applied everything
    trino_cursor.execute("SHOW SCHEMAS")
    schemas = {row[0] for row in trino_cursor.fetchall()}
    assert {"bronze", "silver", "gold"} <= schemas
    assert [m.version for m in discover()][:2] == [1, 2]
