"""Corrections: propose, approve, reject, revoke (four eyes; applied by the next silver run)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Body, Depends

from refdata.silver.corrections_store import CorrectionRefused

from api.auth import Principal, principal
from api.deps import Services, check_venue, services
from api.errors import ApiProblem
from api.models import CorrectionIn, CorrectionOut, DecisionIn, scalar
from api.timeparams import parse_instant

router = APIRouter(prefix="/v1/corrections", tags=["corrections"])
ROLE = {"approve": "approve", "reject": "approve", "revoke": "revoke"}


def _store(svc: Services):  # type: ignore[no-untyped-def]
    if svc.corrections is None:
        from refdata.silver.corrections_store import CorrectionsStore

        svc.corrections = CorrectionsStore(svc.settings, namespace=svc.silver, bronze_namespace=svc.bronze)
    return svc.corrections


def _out(state: Any) -> CorrectionOut:
    data = asdict(state)
    data["events"] = [{k: scalar(v) for k, v in e.items()} for e in state.events]
    return CorrectionOut(**data)


def _refused(exc: CorrectionRefused) -> ApiProblem:
    message = str(exc)
    if "does not exist" in message:
        return ApiProblem(404, "unknown-correction", message)
    if "cannot approve" in message:
        return ApiProblem(403, "four-eyes", message)
    return ApiProblem(409, "correction-conflict", message)


@router.post("", response_model=CorrectionOut, status_code=201, summary="Propose a correction (role: propose)")
def propose(body: CorrectionIn, who: Principal = Depends(principal), svc: Services = Depends(services)) -> CorrectionOut:
    who.require("propose")
    check_venue(body.venue, svc.settings)
    valid_from = parse_instant("valid_from", body.valid_from)
    valid_to = parse_instant("valid_to", body.valid_to) if body.valid_to else None
    if not svc.repo.instrument_known(body.venue, body.symbol):
        raise ApiProblem(404, "unknown-instrument", f"unknown instrument {body.venue}/{body.symbol}: never listed",
                         venue=body.venue, symbol=body.symbol)
    try:
        state = _store(svc).propose(body.venue, body.symbol, valid_from, valid_to, body.fields,
                                    actor=who.user, reason=body.reason)
    except CorrectionRefused as exc:
        raise _refused(exc) from None
    except (ValueError, TypeError, ArithmeticError) as exc:  # decimal.InvalidOperation is an ArithmeticError
        detail = str(exc) if not isinstance(exc, ArithmeticError) else f"a field value is not a decimal: {body.fields}"
        raise ApiProblem(422, "bad-correction", detail) from None
    return _out(state)


@router.get("/{correction_id}", response_model=CorrectionOut, summary="State and events of a correction")
def get_correction(correction_id: str, svc: Services = Depends(services)) -> CorrectionOut:
    try:
        return _out(_store(svc).state(correction_id))
    except CorrectionRefused as exc:
        raise _refused(exc) from None


@router.post("/{correction_id}/{action}", response_model=CorrectionOut,
             summary="approve | reject (role: approve; never your own) or revoke (role: revoke)")
def decide(correction_id: str, action: Literal["approve", "reject", "revoke"],
           body: DecisionIn | None = Body(None), who: Principal = Depends(principal),
           svc: Services = Depends(services)) -> CorrectionOut:
    who.require(ROLE[action])
    store = _store(svc)
    try:
        current = store.state(correction_id)
        if action == "approve" and current.proposed_by == who.user:
            raise ApiProblem(403, "four-eyes", f"{who.user} proposed correction {correction_id} and cannot approve it")
        state = store.decide(correction_id, action, actor=who.user, reason=body.reason if body else None)
    except CorrectionRefused as exc:
        raise _refused(exc) from None
    return _out(state)
