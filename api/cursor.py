"""Opaque pagination cursors: base64url(JSON) bound to the query they page (filters and times)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from api.errors import ApiProblem

VERSION = 1


def fingerprint(params: dict[str, Any]) -> str:
    text = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode(position: list[Any], params: dict[str, Any]) -> str:
    payload = {"v": VERSION, "p": position, "f": fingerprint(params), "q": params}
    raw = json.dumps(payload, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, params: dict[str, Any] | None = None) -> tuple[list[Any], dict[str, Any]]:
    """The position and the query the cursor was issued for; `params` (if given) must match it."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        if not isinstance(payload, dict) or payload.get("v") != VERSION:
            raise ValueError("version")
        position, query = payload["p"], payload["q"]
        if not isinstance(position, list) or not isinstance(query, dict) or payload["f"] != fingerprint(query):
            raise ValueError("shape")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise ApiProblem(400, "bad-cursor", f"cursor {cursor[:40]!r} is not a cursor this API issued",
                         parameter="cursor") from None
    if params is not None and fingerprint(params) != payload["f"]:
        raise ApiProblem(400, "bad-cursor", "cursor was issued for different filters; repeat the same query "
                         "parameters with the cursor, or drop the cursor", parameter="cursor")
    return position, query
