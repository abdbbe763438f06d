"""Run a Great Expectations gate over an audit frame and keep a readable report.

A gate is a list of checks; each check is a boolean column of the audit frame (computed by
the caller in SQL, e.g. "this version overlaps another one of the same instrument"), which
must be true on every row. Expressing every rule as a column keeps the rules next to the
data model (in SQL) and lets GX report, per rule, how many rows failed and which instruments.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refdata.errors import RefdataError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

SAMPLE_SIZE = 20


@dataclass(frozen=True)
class Check:
    column: str  # boolean column of the audit frame; true = the row passes
    description: str


@dataclass(frozen=True)
class CheckResult:
    column: str
    description: str
    success: bool
    unexpected_count: int
    element_count: int
    failing_keys: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class GateResult:
    gate: str
    run_id: str
    success: bool
    checks: list[CheckResult]
    report_path: str

    def failures(self) -> list[CheckResult]:
        return [check for check in self.checks if not check.success]

    def summary(self) -> str:
        lines = [f"gate {self.gate} ({self.run_id}): " + ("passed" if self.success else "FAILED")]
        for check in self.failures():
            keys = ", ".join(
                "/".join(str(v) for v in key.values()) for key in check.failing_keys[:5]
            )
            more = "" if check.unexpected_count <= 5 else f" and {check.unexpected_count - 5} more"
            lines.append(f"  {check.column}: {check.unexpected_count} row(s) — {check.description}; e.g. {keys}{more}")
        lines.append(f"  report: {self.report_path}")
        return "\n".join(lines)


class GateFailed(RefdataError):
    def __init__(self, result: GateResult) -> None:
        self.result = result
        super().__init__(result.summary())


def run_gate(
    gate: str,
    run_id: str,
    audit_frame: "DataFrame",
    checks: list[Check],
    key_columns: list[str],
    report_dir: Path,
) -> GateResult:
    """Validate every check column with GX; write a JSON and an HTML report; never raises on failure."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    # The audit rows are few (the rows a run wrote and the current rows they can meet), but
    # GX runs several Spark jobs per expectation (~2 s each on two cores): compute the frame
    # once in Spark, then let GX validate it in memory.
    asset = context.data_sources.add_pandas(name=gate).add_dataframe_asset(name="audit")
    batch = asset.add_batch_definition_whole_dataframe("audit_frame")
    suite = context.suites.add(gx.ExpectationSuite(name=gate))
    for check in checks:
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeInSet(column=check.column, value_set=[True], meta={"description": check.description})
        )
    definition = context.validation_definitions.add(gx.ValidationDefinition(name=gate, data=batch, suite=suite))
    validation = definition.run(
        batch_parameters={"dataframe": audit_frame.toPandas()},
        result_format={
            "result_format": "COMPLETE",
            "unexpected_index_column_names": key_columns,
            "partial_unexpected_count": SAMPLE_SIZE,
        },
    )

    by_column = {check.column: check for check in checks}
    results: list[CheckResult] = []
    for outcome in validation.results:
        column = outcome.expectation_config.kwargs["column"]
        index_list = outcome.result.get("unexpected_index_list") or []
        results.append(
            CheckResult(
                column=column,
                description=by_column[column].description,
                success=bool(outcome.success),
                unexpected_count=int(outcome.result.get("unexpected_count") or 0),
                element_count=int(outcome.result.get("element_count") or 0),
                failing_keys=[{k: _plain(row.get(k)) for k in key_columns} for row in index_list[:SAMPLE_SIZE]],
            )
        )
    results.sort(key=lambda result: result.column)
    report_path = _write_report(report_dir, gate, run_id, results, validation.describe_dict())
    return GateResult(gate, run_id, all(r.success for r in results), results, str(report_path))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _write_report(report_dir: Path, gate: str, run_id: str, results: list[CheckResult], raw: dict) -> Path:
    safe_run = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)
    target = report_dir / gate / safe_run
    target.mkdir(parents=True, exist_ok=True)
    written_at = datetime.now(timezone.utc).isoformat()
    document = {"gate": gate, "run_id": run_id, "written_at": written_at,
                "checks": [asdict(r) for r in results], "great_expectations": raw}
    (target / "result.json").write_text(json.dumps(document, indent=2, default=str))
    rows = "".join(
        f"<tr class={'ok' if r.success else 'fail'}><td>{html.escape(r.column)}</td>"
        f"<td>{html.escape(r.description)}</td><td>{r.unexpected_count} / {r.element_count}</td>"
        f"<td>{html.escape(', '.join('/'.join(str(v) for v in k.values()) for k in r.failing_keys))}</td></tr>"
        for r in results
    )
    (target / "index.html").write_text(
        "<!doctype html><meta charset=utf-8><title>"
        f"{html.escape(gate)} {html.escape(run_id)}</title>"
        "<style>body{font-family:sans-serif}td{padding:4px 8px;border-bottom:1px solid #ddd}"
        ".fail{background:#fdd}.ok{background:#efe}</style>"
        f"<h1>Gate {html.escape(gate)}</h1><p>run {html.escape(run_id)} — written {written_at}</p>"
        "<table><tr><th>check</th><th>rule</th><th>failing rows</th><th>failing keys (sample)</th></tr>"
        f"{rows}</table>"
    )
    return target / "index.html"
