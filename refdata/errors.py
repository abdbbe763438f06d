"""Errors that carry enough context to be reported precisely to an operator."""

from __future__ import annotations


class RefdataError(Exception):
    """Base class for the project's own errors."""


class ConfigurationError(RefdataError):
    """The settings or the machine do not allow the requested action (names the setting)."""


class MalformedResponse(RefdataError):
    """An exchange response could not be parsed as the venue's listing.

    The message names the venue, the endpoint and what is wrong, e.g.
    ``binance-spot GET /api/v3/exchangeInfo: symbols[12].filters: expected a list``.
    """

    def __init__(self, venue: str, endpoint: str, problem: str) -> None:
        self.venue = venue
        self.endpoint = endpoint
        self.problem = problem
        super().__init__(f"{venue} {endpoint}: {problem}")


class IncompleteListing(MalformedResponse):
    """A listing could not be fetched completely (pagination or families not exhausted)."""
