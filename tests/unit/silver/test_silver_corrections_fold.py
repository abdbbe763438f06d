"""Correction action rows fold into engine events: four eyes, decisions once, revocations."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from refdata.silver.corrections import correction_events

T = datetime(2024, 10, 20)


def _row(event: str, cid: str, action: str, minute: int, actor: str, **extra):  # type: ignore[no-untyped-def]
    row = {"event_id": event, "correction_id": cid, "action": action, "at": T.replace(minute=minute),
           "actor": actor, "reason": None, "venue": "binance-usdm", "symbol": "BTCUSDT",
           "valid_from": None, "valid_to": None, "fields_json": None}
    row.update(extra)
    return row


def _proposal(cid: str, minute: int, actor: str = "alice", fields: str = '{"tick_size": "0.5"}'):  # type: ignore[no-untyped-def]
    return _row(f"{cid}:p", cid, "propose", minute, actor, valid_from=datetime(2024, 10, 1),
                valid_to=datetime(2024, 10, 21), fields_json=fields)


def test_approved_correction_takes_the_approval_time_and_approver() -> None:
    folded = correction_events([_row("c1:a", "c1", "approve", 5, "bob"), _proposal("c1", 1)])
    (correction,) = folded.corrections
    assert correction.approved_at == T.replace(minute=5)
    assert (correction.author, correction.approver) == ("alice", "bob")
    assert correction.fields == {"tick_size": format(Decimal("0.5"), "f")}
    assert folded.problems == ()


def test_self_approval_is_refused_and_asserts_nothing() -> None:
    folded = correction_events([_proposal("c1", 1), _row("c1:a", "c1", "approve", 2, "alice")])
    assert folded.corrections == ()
    assert [p.problem for p in folded.problems] == ["alice cannot approve their own proposal"]


def test_rejected_then_approved_stays_rejected() -> None:
    folded = correction_events([
        _proposal("c1", 1), _row("c1:r", "c1", "reject", 2, "bob"), _row("c1:a", "c1", "approve", 3, "carol"),
    ])
    assert folded.corrections == ()
    assert folded.problems[0].problem == "already decided"


def test_revocation_of_an_approved_correction() -> None:
    folded = correction_events([
        _proposal("c1", 1), _row("c1:a", "c1", "approve", 2, "bob"), _row("c1:v", "c1", "revoke", 9, "bob"),
    ])
    (revocation,) = folded.revocations
    assert revocation.correction_id == "c1" and revocation.revoked_at == T.replace(minute=9)


def test_revoking_a_proposal_or_acting_on_an_unknown_correction_is_reported() -> None:
    folded = correction_events([_proposal("c1", 1), _row("c1:v", "c1", "revoke", 2, "bob"),
                                _row("c9:a", "c9", "approve", 3, "bob")])
    assert folded.revocations == ()
    assert sorted(p.problem for p in folded.problems) == [
        "approve of a correction that was never proposed", "only an approved correction can be revoked",
    ]


def test_a_proposal_with_an_unknown_field_is_refused_at_approval() -> None:
    folded = correction_events([_proposal("c1", 1, fields='{"tick": "0.5"}'), _row("c1:a", "c1", "approve", 2, "bob")])
    assert folded.corrections == ()
    assert "not spec fields" in folded.problems[0].problem


def test_a_proposal_with_a_value_that_is_not_a_decimal_is_refused() -> None:
    folded = correction_events([_proposal("c1", 1, fields='{"tick_size": "abc"}'), _row("c1:a", "c1", "approve", 2, "bob")])
    assert folded.corrections == ()
    assert "tick_size: 'abc' is not a decimal" in folded.problems[0].problem
