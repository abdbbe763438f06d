"""Record correction actions in silver.corrections (append-only), for the API and operators.

Each action's system time is taken, and the row committed, under the venue's writer lock
(refdata.locks), like bronze polls: the silver job's cutoff can then never be overtaken by
an approval that commits late. The next silver run applies what was approved.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from refdata.bitemporal.events import normalize
from refdata.catalog import pyiceberg_catalog
from refdata.errors import RefdataError
from refdata.locks import venue_lock
from refdata.settings import Settings
from refdata.silver.corrections import correction_events


class CorrectionRefused(RefdataError):
    """The action is not allowed (unknown correction, self-approval, already decided...)."""


@dataclass(frozen=True)
class CorrectionState:
    correction_id: str
    venue: str
    symbol: str
    state: str  # proposed | approved | rejected | revoked
    proposed_by: str
    decided_by: str | None
    events: list[dict[str, Any]]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class CorrectionsStore:
    def __init__(self, settings: Settings, namespace: str = "silver", bronze_namespace: str = "bronze") -> None:
        self.settings = settings
        self.namespace = namespace
        self.bronze_namespace = bronze_namespace
        self.catalog = pyiceberg_catalog(settings)

    def _table(self):  # type: ignore[no-untyped-def]
        return self.catalog.load_table(f"{self.namespace}.corrections")

    def events(self, correction_id: str | None = None) -> list[dict[str, Any]]:
        from pyiceberg.expressions import AlwaysTrue, EqualTo

        row_filter = EqualTo("correction_id", correction_id) if correction_id else AlwaysTrue()
        rows = self._table().scan(row_filter=row_filter).to_arrow().to_pylist()
        return sorted(rows, key=lambda r: (r["at"], r["event_id"]))

    def state(self, correction_id: str) -> CorrectionState:
        events = self.events(correction_id)
        if not events or events[0]["action"] != "propose":
            raise CorrectionRefused(f"correction {correction_id} does not exist")
        proposal = events[0]
        state, decided_by = "proposed", None
        for event in events[1:]:
            if event["action"] == "approve":
                state, decided_by = "approved", event["actor"]
            elif event["action"] == "reject":
                state, decided_by = "rejected", event["actor"]
            elif event["action"] == "revoke":
                state = "revoked"
        return CorrectionState(correction_id, proposal["venue"], proposal["symbol"], state,
                               proposal["actor"], decided_by, events)

    def _append(self, row: dict[str, Any]) -> dict[str, Any]:
        import pyarrow as pa

        with venue_lock(self.settings, self.bronze_namespace, row["venue"]):
            row["at"] = _utcnow()
            table = self._table()
            table.append(pa.Table.from_pylist([row], schema=table.schema().as_arrow()))
        return row

    def propose(self, venue: str, symbol: str, valid_from: datetime, valid_to: datetime | None,
                fields: dict[str, Any], actor: str, reason: str) -> CorrectionState:
        if valid_to is not None and valid_to <= valid_from:
            raise ValueError("valid_to must be after valid_from")
        if not fields:
            raise ValueError("a correction must assert at least one field")
        normalize(fields, complete=False)  # raises ValueError/TypeError naming a bad field
        correction_id = f"corr_{uuid.uuid4().hex[:16]}"
        self._append({
            "event_id": f"{correction_id}:propose", "correction_id": correction_id, "action": "propose",
            "actor": actor, "reason": reason, "venue": venue, "symbol": symbol,
            "valid_from": valid_from, "valid_to": valid_to,
            "fields_json": json.dumps({k: _json_value(v) for k, v in fields.items()}, sort_keys=True, default=str),
        })
        return self.state(correction_id)

    def decide(self, correction_id: str, action: str, actor: str, reason: str | None = None) -> CorrectionState:
        if action not in ("approve", "reject", "revoke"):
            raise ValueError(f"unknown action {action!r}")
        current = self.state(correction_id)
        if action in ("approve", "reject") and current.state != "proposed":
            raise CorrectionRefused(f"correction {correction_id} is already {current.state}")
        if action == "approve" and actor == current.proposed_by:
            raise CorrectionRefused(f"{actor} proposed correction {correction_id} and cannot approve it")
        if action == "revoke" and current.state != "approved":
            raise CorrectionRefused(f"correction {correction_id} is {current.state}; only an approved one can be revoked")
        self._append({
            "event_id": f"{correction_id}:{action}:{uuid.uuid4().hex[:8]}", "correction_id": correction_id,
            "action": action, "actor": actor, "reason": reason, "venue": current.venue, "symbol": current.symbol,
            "valid_from": None, "valid_to": None, "fields_json": None,
        })
        state = self.state(correction_id)
        # The same fold the silver job uses must accept it; anything else is a bug here.
        assert not correction_events(state.events).problems, correction_events(state.events).problems
        return state
