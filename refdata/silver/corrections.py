"""Correction events (silver.corrections rows) into the bitemporal engine's events.

`silver.corrections` is append-only: each row is one action on one correction —
propose (carries the instrument, the valid interval and the fields), approve, reject,
revoke. Only an approved correction asserts anything; its system time is the approval.
Approval by the proposer is refused (four eyes), here as well as in the API, so a row
written around the API cannot slip through.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from refdata.bitemporal.events import Correction, Revocation

ACTIONS = ("propose", "approve", "reject", "revoke")


@dataclass(frozen=True)
class CorrectionProblem:
    correction_id: str
    event_id: str
    problem: str


@dataclass(frozen=True)
class CorrectionEvents:
    corrections: tuple[Correction, ...]  # approved ones (approved_at set)
    revocations: tuple[Revocation, ...]
    problems: tuple[CorrectionProblem, ...]


def decode_fields(fields_json: str) -> dict[str, Any]:
    fields = json.loads(fields_json)
    if not isinstance(fields, dict) or not fields:
        raise ValueError("fields_json must be a non-empty JSON object")
    return fields


def correction_events(rows: Iterable[Mapping[str, Any]]) -> CorrectionEvents:
    """Fold the action rows of any set of corrections into engine events, in system-time order."""
    ordered = sorted(rows, key=lambda r: (r["at"], r["event_id"]))
    proposals: dict[str, Mapping[str, Any]] = {}
    approved: dict[str, Correction] = {}
    rejected: set[str] = set()
    revocations: list[Revocation] = []
    problems: list[CorrectionProblem] = []

    def refuse(row: Mapping[str, Any], problem: str) -> None:
        problems.append(CorrectionProblem(row["correction_id"], row["event_id"], problem))

    for row in ordered:
        cid, action = row["correction_id"], row["action"]
        if action not in ACTIONS:
            refuse(row, f"unknown action {action!r}")
        elif action == "propose":
            if cid in proposals:
                refuse(row, "proposed twice")
            else:
                proposals[cid] = row
        elif cid not in proposals:
            refuse(row, f"{action} of a correction that was never proposed")
        elif action == "approve":
            proposal = proposals[cid]
            if cid in approved or cid in rejected:
                refuse(row, "already decided")
            elif row["actor"] == proposal["actor"]:
                refuse(row, f"{row['actor']} cannot approve their own proposal")
            else:
                try:
                    approved[cid] = _correction(proposal, row["at"], row["actor"])
                except (ValueError, TypeError) as error:
                    refuse(row, f"invalid proposal: {error}")
        elif action == "reject":
            if cid in approved or cid in rejected:
                refuse(row, "already decided")
            else:
                rejected.add(cid)
        elif action == "revoke":
            if cid not in approved:
                refuse(row, "only an approved correction can be revoked")
            else:
                proposal = proposals[cid]
                revocations.append(
                    Revocation(row["event_id"], proposal["venue"], proposal["symbol"], cid,
                               row["at"], row["actor"], row.get("reason") or "")
                )
    return CorrectionEvents(tuple(approved.values()), tuple(revocations), tuple(problems))


def _correction(proposal: Mapping[str, Any], approved_at: datetime, approver: str) -> Correction:
    return Correction(
        correction_id=proposal["correction_id"],
        venue=proposal["venue"],
        symbol=proposal["symbol"],
        valid_from=proposal["valid_from"],
        valid_to=proposal["valid_to"],
        fields=decode_fields(proposal["fields_json"]),
        approved_at=approved_at,
        author=proposal["actor"],
        approver=approver,
        reason=proposal.get("reason") or "",
    )
