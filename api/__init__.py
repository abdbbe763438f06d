"""REST API over the warehouse (FastAPI on Trino): point-in-time reads on both time axes,
symbology, corrections with four eyes, change feed, export, health. See docs/adr/0011-rest-api.md."""
