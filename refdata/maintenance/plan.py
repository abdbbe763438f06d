"""What a maintenance run does to each table, as Spark SQL (pure: no JVM needed to test it).

Every statement is an Iceberg Spark procedure or a DELETE; table names come from the
catalog listing and timestamps from the policy, never from user input.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from refdata.errors import ConfigurationError
from refdata.settings import Maintenance


class Action(str, Enum):
    RETENTION = "retention"  # bronze retention policy (quarantine rows)
    COMPACT = "compact"  # rewrite small data files and position deletes
    EXPIRE = "expire"  # expire old snapshots (and the files only they reference)
    ORPHANS = "orphans"  # delete files no snapshot references

    @classmethod
    def parse(cls, names: list[str]) -> list["Action"]:
        """Actions in their fixed, safe order (retention, compact, expire, orphans)."""
        known = {a.value: a for a in cls}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigurationError(f"unknown maintenance action(s) {unknown}; choose from {sorted(known)}")
        wanted = {known[n] for n in names} if names else set(cls)
        return [a for a in cls if a in wanted]


@dataclass(frozen=True)
class TableRef:
    catalog: str
    namespace: str
    name: str
    sorted: bool = False  # the table declares a sort order: compaction sorts too

    @property
    def qualified(self) -> str:
        return f"{self.catalog}.{self.namespace}.{self.name}"

    @property
    def identifier(self) -> str:
        return f"{self.namespace}.{self.name}"


def _ts(value: datetime) -> str:
    return f"TIMESTAMP '{value.strftime('%Y-%m-%d %H:%M:%S')}'"


def expire_sql(table: TableRef, policy: Maintenance, now: datetime) -> str:
    older_than = now - timedelta(days=policy.snapshot_max_age_days)
    return (f"CALL {table.catalog}.system.expire_snapshots(table => '{table.identifier}', "
            f"older_than => {_ts(older_than)}, retain_last => {policy.snapshot_retain_last})")


def compact_sql(table: TableRef, policy: Maintenance) -> str:
    options = {
        "min-input-files": str(policy.compaction_min_input_files),
        "target-file-size-bytes": str(policy.compaction_target_file_mb * 1024 * 1024),
        # A data file carrying a position-delete file is rewritten whatever its size:
        # merge-on-read supersessions then cost readers nothing after the next run.
        "delete-file-threshold": "1",
        # ... and the position deletes left pointing at no live file are dropped (metadata
        # only). rewrite_position_delete_files would do it by reading them, but Iceberg
        # 1.10 fails on tables with list columns ("Invalid partition field parent").
        "remove-dangling-deletes": "true",
        # A delete is dangling only if older than every live data file; the rewritten files
        # must carry the commit's sequence number, not the rewrite's starting one. Safe: the
        # writers of these tables are excluded by the job lock while maintenance runs.
        "use-starting-sequence-number": "false",
        "partial-progress.enabled": "true",
    }
    rendered = ", ".join(f"'{k}', '{v}'" for k, v in options.items())
    strategy = ", strategy => 'sort'" if table.sorted else ""
    return (f"CALL {table.catalog}.system.rewrite_data_files(table => '{table.identifier}'{strategy}, "
            f"options => map({rendered}))")


def orphans_sql(table: TableRef, policy: Maintenance, now: datetime) -> str:
    older_than = now - timedelta(hours=policy.orphan_min_age_hours)
    # prefix_listing: list through the table's S3 FileIO instead of a Hadoop file system
    # (there is no s3a connector on the classpath, and none is needed).
    return (f"CALL {table.catalog}.system.remove_orphan_files(table => '{table.identifier}', "
            f"older_than => {_ts(older_than)}, prefix_listing => true)")


def quarantine_retention_sql(catalog: str, bronze_namespace: str, policy: Maintenance, now: datetime) -> str:
    before = now - timedelta(days=policy.quarantine_retention_days)
    return f"DELETE FROM {catalog}.{bronze_namespace}.quarantine WHERE recorded_at < {_ts(before)}"
