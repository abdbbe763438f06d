"""API keys (settings.api_keys: key -> user + roles), from `X-API-Key` or `Authorization: Bearer`."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Depends, Header, Request

from api.errors import ApiProblem


@dataclass(frozen=True)
class Principal:
    user: str
    roles: frozenset[str]

    def require(self, role: str) -> None:
        if role not in self.roles:
            raise ApiProblem(403, "missing-role", f"user {self.user} lacks the role {role!r}", role=role)


def principal(request: Request, x_api_key: str | None = Header(None, description="API key (see settings.api_keys)"),
              authorization: str | None = Header(None)) -> Principal:
    key = x_api_key
    if key is None and authorization and authorization.lower().startswith("bearer "):
        key = authorization[7:].strip()
    if not key:
        raise ApiProblem(401, "unauthenticated", "an API key is required (X-API-Key header)",
                         headers={"WWW-Authenticate": "ApiKey"})
    keys = request.app.state.services.settings.api_keys
    for candidate, entry in keys.items():
        if hmac.compare_digest(candidate.encode(), key.encode()):
            return Principal(entry.user, frozenset(entry.roles))
    raise ApiProblem(401, "unauthenticated", "unknown API key", headers={"WWW-Authenticate": "ApiKey"})


def authenticated() -> Principal:  # pragma: no cover - typing helper
    return Depends(principal)  # type: ignore[return-value]
