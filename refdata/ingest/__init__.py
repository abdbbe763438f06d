"""Exchange clients: fetch complete venue listings, raw, with their exchange time."""

from refdata.ingest.fetch import FetchedListing, FetchedPage, fetch_kraken_assets, fetch_listing
from refdata.ingest.http import CLIENT_VERSION, ExchangeClient, FetchError, RateLimiter, RetryPolicy
from refdata.ingest.observed_time import observed_at

__all__ = [
    "CLIENT_VERSION",
    "ExchangeClient",
    "FetchError",
    "FetchedListing",
    "FetchedPage",
    "RateLimiter",
    "RetryPolicy",
    "fetch_kraken_assets",
    "fetch_listing",
    "observed_at",
]
