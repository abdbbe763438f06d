"""Validate a listing before anything of it is written: it must parse completely.

Bronze keeps raw bytes, but only bytes that silver can read: every listing page goes through
`refdata.parsing.parse_listing(venue, endpoint, pages)` (Kraken's asset list through
`parse_kraken_assets`). A failure is a `MalformedResponse` naming venue, endpoint and the JSON
path; `failing_page` says which page to keep in quarantine. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from refdata.errors import MalformedResponse
from refdata.parsing import parse_kraken_assets, parse_listing
from refdata.venues import KRAKEN_ASSETS_PATH

from refdata.bronze.hashing import endpoint_path

_PAGE = re.compile(r"^pages\[(\d+)\]")


def validate_listing(venue: str, endpoint: str, bodies: Sequence[bytes]) -> int:
    """Number of instruments (assets for Kraken Assets) if every page parses; else raises."""
    path = endpoint_path(endpoint)
    if path == KRAKEN_ASSETS_PATH:
        if len(bodies) != 1:
            raise MalformedResponse(venue, f"GET {path}", f"expected one page, got {len(bodies)}")
        return len(parse_kraken_assets(bodies[0]))
    return len(parse_listing(venue, f"GET {path}", list(bodies)))


def failing_page(error: MalformedResponse, page_count: int) -> int | None:
    """Index of the page a parse error is about: the only page, or the `pages[n]` it names."""
    if page_count == 1:
        return 0
    found = _PAGE.match(error.problem)
    if found and int(found.group(1)) < page_count:
        return int(found.group(1))
    return None
