"""Write-audit-publish on Iceberg branches (tables need `write.wap.enabled=true`).

Writes made inside `audit_branch` land on a branch of every table involved; readers of
`main` see nothing until `publish` fast-forwards main to the branch. `discard` drops the
branch, leaving main exactly as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def branch_name(run_id: str) -> str:
    return "audit_" + re.sub(r"[^A-Za-z0-9_]", "_", run_id)[:80]


@contextmanager
def audit_branch(spark: "SparkSession", tables: list[str], branch: str) -> Iterator[None]:
    for table in tables:
        # A branch left by a crashed attempt of the same run holds unpublished, possibly
        # partial writes: a retry starts again from main.
        spark.sql(f"ALTER TABLE {table} DROP BRANCH IF EXISTS `{branch}`")
        spark.sql(f"ALTER TABLE {table} CREATE BRANCH `{branch}`")
    spark.conf.set("spark.wap.branch", branch)
    try:
        yield
    finally:
        spark.conf.unset("spark.wap.branch")


def on_branch(table: str, branch: str) -> str:
    """SQL that reads a table as of the branch (for the audit step)."""
    return f"(SELECT * FROM {table} VERSION AS OF '{branch}')"


def publish(spark: "SparkSession", tables: list[str], branch: str) -> None:
    """Fast-forward main of each table to the branch, in the given order, then drop it."""
    for table in tables:
        catalog, identifier = table.split(".", 1)
        spark.sql(f"CALL {catalog}.system.fast_forward('{identifier}', 'main', '{branch}')")
        spark.sql(f"ALTER TABLE {table} DROP BRANCH IF EXISTS `{branch}`")


def discard(spark: "SparkSession", tables: list[str], branch: str) -> None:
    for table in tables:
        spark.sql(f"ALTER TABLE {table} DROP BRANCH IF EXISTS `{branch}`")
