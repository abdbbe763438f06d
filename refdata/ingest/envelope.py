"""Light validation of exchange responses: valid JSON, success code, the expected list present.

Only the envelope: per-instrument parsing happens in refdata.parsing. Each check returns the
parsed payload and the list of listing entries (for counting and cursors), or raises
MalformedResponse naming venue, endpoint and what is wrong.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from refdata.errors import MalformedResponse

Check = Callable[[Any], list[Any]]


class EnvelopeProblem(ValueError):
    """Internal: the message becomes MalformedResponse.problem."""


def _dict(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise EnvelopeProblem(f"expected a JSON object, got {type(payload).__name__}")
    return payload


def _list_at(obj: dict[str, Any], key: str, where: str) -> list[Any]:
    value = obj.get(key)
    if not isinstance(value, list):
        found = "missing" if key not in obj else type(value).__name__
        raise EnvelopeProblem(f"{where}{key}: expected a list, found {found}")
    return value


def binance(payload: Any) -> list[Any]:
    body = _dict(payload)
    if "symbols" not in body and "code" in body:
        raise EnvelopeProblem(f"exchange error code {body.get('code')}: {body.get('msg')}")
    return _list_at(body, "symbols", "")


def kraken(payload: Any) -> list[Any]:
    body = _dict(payload)
    errors = body.get("error")
    if not isinstance(errors, list):
        raise EnvelopeProblem("error: expected a list")
    # Kraken prefixes severity: "E..." errors fail, "W..." warnings come with a good result.
    failures = [e for e in errors if not str(e).startswith("W")]
    if failures:
        raise EnvelopeProblem(f"exchange error {failures}")
    result = body.get("result")
    if not isinstance(result, dict):
        raise EnvelopeProblem("result: expected an object")
    return list(result.values())


def bybit(payload: Any) -> list[Any]:
    body = _dict(payload)
    if body.get("retCode") != 0:
        raise EnvelopeProblem(f"exchange error retCode {body.get('retCode')}: {body.get('retMsg')}")
    result = body.get("result")
    if not isinstance(result, dict):
        raise EnvelopeProblem("result: expected an object")
    return _list_at(result, "list", "result.")


def coinbase(payload: Any) -> list[Any]:
    if isinstance(payload, dict) and "message" in payload:
        raise EnvelopeProblem(f"exchange error: {payload['message']}")
    if not isinstance(payload, list):
        raise EnvelopeProblem(f"expected a JSON list of products, got {type(payload).__name__}")
    return payload


def okx(payload: Any) -> list[Any]:
    body = _dict(payload)
    if body.get("code") != "0":
        raise EnvelopeProblem(f"exchange error code {body.get('code')!r}: {body.get('msg')}")
    return _list_at(body, "data", "")


def deribit(payload: Any) -> list[Any]:
    body = _dict(payload)
    if "error" in body:
        raise EnvelopeProblem(f"exchange error {body['error']}")
    return _list_at(body, "result", "")


CHECKS: dict[str, Check] = {
    "binance": binance,
    "kraken": kraken,
    "bybit": bybit,
    "coinbase": coinbase,
    "okx": okx,
    "deribit": deribit,
}


def parse_json(body: bytes) -> Any:
    """Parse, or raise EnvelopeProblem saying how the body is not JSON (truncated, HTML...)."""
    try:
        return json.loads(body)
    except UnicodeDecodeError as exc:
        raise EnvelopeProblem(f"body is not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        head = " ".join(body[:60].decode("utf-8", "replace").split())
        text = body.strip()
        if text.startswith(b"<"):
            kind = "an HTML/XML page, not JSON"
        elif exc.pos >= len(text) - 1 or exc.msg.startswith("Unterminated"):
            kind = "truncated JSON"  # the document stops before it closes
        else:
            kind = "invalid JSON"
        raise EnvelopeProblem(
            f"{kind}: {exc.msg} at char {exc.pos} of {len(body)} bytes (starts {head!r})"
        ) from None


def check(family: str, venue: str, endpoint: str, body: bytes) -> tuple[Any, list[Any]]:
    """Parsed payload and its listing entries, or MalformedResponse(venue, endpoint, problem)."""
    try:
        payload = parse_json(body)
        return payload, CHECKS[family](payload)
    except EnvelopeProblem as exc:
        raise MalformedResponse(venue, endpoint, str(exc)) from None


def okx_families(venue: str, endpoint: str, body: bytes) -> list[str]:
    """/api/v5/public/underlying answers `data: [["BTC-USD", "ETH-USD"]]` (a list in a list)."""
    payload, data = check("okx", venue, endpoint, body)
    flat = [x for item in data for x in (item if isinstance(item, list) else [item])]
    if not all(isinstance(x, str) and x for x in flat):
        raise MalformedResponse(venue, endpoint, f"data: expected instrument family names, got {data!r:.120}")
    return sorted(set(flat))
