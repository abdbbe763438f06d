"""Plumbing shared by the venue parsers: decoding a page, reading fields by JSON path, and
raising `MalformedResponse` with the exact path of the problem.

Every accessor either returns a well-typed value or raises; none of them guesses. "Required"
means the key must be present (schema drift is an error); "optional" tolerates an absent key
or a JSON null; `blank_none` turns the exchange's empty-string placeholder ("") into None.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NoReturn

from refdata.domain import Status
from refdata.errors import MalformedResponse
from refdata.parsing.decimals import to_decimal

EPOCH = datetime(1970, 1, 1)
_MAX_MS = int((datetime(9999, 12, 31) - EPOCH).total_seconds() * 1000)

JsonObj = Mapping[str, Any]


def type_name(value: object) -> str:
    """JSON-ish name of a decoded value, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__  # str, int, float, bool, list


def join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def raw_json(obj: JsonObj) -> str:
    """The instrument's own object, canonically serialized (stored verbatim in `raw`)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def from_millis(ms: int) -> datetime:
    """Epoch milliseconds -> naive UTC datetime, in integer arithmetic (no float rounding)."""
    return EPOCH + timedelta(milliseconds=ms)


@dataclass(frozen=True)
class Ctx:
    """Where we are: which venue/endpoint, and which page when a listing has several."""

    venue: str
    endpoint: str
    page: str = ""  # "pages[2]" when the listing has several pages, else ""

    def fail(self, path: str, problem: str, sep: str = ": ") -> NoReturn:
        where = join(self.page, path) if path else self.page
        raise MalformedResponse(self.venue, self.endpoint, f"{where}{sep}{problem}" if where else problem)

    # -- containers -------------------------------------------------------------------
    def obj(self, value: Any, path: str) -> JsonObj:
        if not isinstance(value, Mapping):
            self.fail(path, f"expected an object, got {type_name(value)}")
        return value

    def items(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(path, f"expected a list, got {type_name(value)}")
        return value

    def req(self, obj: JsonObj, key: str, path: str) -> Any:
        if key not in obj:
            self.fail(join(path, key), "missing", sep=" ")
        return obj[key]

    def sub(self, obj: JsonObj, key: str, path: str) -> JsonObj:
        return self.obj(self.req(obj, key, path), join(path, key))

    def sublist(self, obj: JsonObj, key: str, path: str) -> list[Any]:
        return self.items(self.req(obj, key, path), join(path, key))

    def _get(self, obj: JsonObj, key: str, path: str, optional: bool) -> Any:
        if key not in obj:
            if optional:
                return None
            self.fail(join(path, key), "missing", sep=" ")
        value = obj[key]
        if value is None and not optional:
            self.fail(join(path, key), "expected a value, got null")
        return value

    # -- scalars ----------------------------------------------------------------------
    def text(
        self, obj: JsonObj, key: str, path: str, *, optional: bool = False, blank_none: bool = False
    ) -> str | None:
        value = self._get(obj, key, path, optional)
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(join(path, key), f"expected a str, got {type_name(value)}")
        if value == "" and blank_none:
            return None
        return value

    def ident(self, obj: JsonObj, key: str, path: str) -> str:
        """A required, non-empty identifier (symbol, asset code)."""
        value = self.text(obj, key, path)
        if not value:
            self.fail(join(path, key), "expected a non-empty str, got ''")
        return value

    def dec(
        self,
        obj: JsonObj,
        key: str,
        path: str,
        *,
        optional: bool = False,
        blank_none: bool = False,
        zero_none: bool = False,
    ) -> Decimal | None:
        """An exact, non-negative decimal. `zero_none`: 0 means "rule not set" (steps, ticks)."""
        value = self._get(obj, key, path, optional)
        if value is None or (value == "" and blank_none):
            return None
        try:
            result = to_decimal(value)
        except ValueError as exc:
            self.fail(join(path, key), str(exc))
        if result < 0:
            self.fail(join(path, key), f"expected a non-negative number, got {value!r}")
        if zero_none and result == 0:
            return None
        return result

    def integer(
        self, obj: JsonObj, key: str, path: str, *, optional: bool = False, blank_none: bool = False
    ) -> int | None:
        """A non-negative integer given as a JSON integer or a string of digits."""
        value = self._get(obj, key, path, optional)
        if value is None or (value == "" and blank_none):
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        if isinstance(value, str) and value.isascii() and value.isdigit():
            return int(value)
        self.fail(join(path, key), f"expected a non-negative integer, got {type_name(value)} {value!r}")

    def boolean(self, obj: JsonObj, key: str, path: str, *, optional: bool = False) -> bool | None:
        value = self._get(obj, key, path, optional)
        if value is None or isinstance(value, bool):
            return value
        self.fail(join(path, key), f"expected a bool, got {type_name(value)} {value!r}")

    def time_ms(
        self,
        obj: JsonObj,
        key: str,
        path: str,
        *,
        optional: bool = False,
        blank_none: bool = False,
        zero_none: bool = False,
        none_from: int | None = None,
    ) -> datetime | None:
        """Epoch milliseconds -> naive UTC. `none_from`: values at or past a far-future
        sentinel (Binance 2100, Deribit 3000) are placeholders for "no date"."""
        ms = self.integer(obj, key, path, optional=optional, blank_none=blank_none)
        if ms is None or (zero_none and ms == 0) or (none_from is not None and ms >= none_from):
            return None
        if ms > _MAX_MS:
            self.fail(join(path, key), f"timestamp out of range: {ms}")
        return from_millis(ms)

    def status(self, table: Mapping[str, Status], raw: str, path: str) -> Status:
        """Map the exchange's status string; an unknown value is schema drift, never a guess."""
        try:
            return table[raw]
        except KeyError:
            self.fail(path, f"unknown status {raw!r} (known: {', '.join(sorted(table))}; see docs/status-mapping.md)")


def decode_page(ctx: Ctx, page: object) -> Any:
    """A page as decoded JSON: bytes/str are parsed, already-decoded JSON passes through."""
    if isinstance(page, (Mapping, list)):
        return page
    if isinstance(page, (bytes, bytearray, memoryview)):
        try:
            page = bytes(page).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            ctx.fail("", f"response is not UTF-8 text (byte {exc.start})")
    if not isinstance(page, str):
        ctx.fail("", f"page is a {type_name(page)}, expected JSON text or decoded JSON")
    text = page.lstrip("\ufeff").strip()  # a BOM or whitespace around the body is harmless
    if not text:
        ctx.fail("", "empty response body")
    if text.startswith("<"):
        snippet = " ".join(text[:80].split())
        ctx.fail("", f"HTML/XML page instead of JSON: {snippet!r}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # Position in the stripped text; report in the original body's coordinates.
        offset = len(page) - len(page.lstrip("\ufeff").lstrip())
        ctx.fail("", f"invalid JSON at char {exc.pos + offset} (line {exc.lineno}): {exc.msg}")
