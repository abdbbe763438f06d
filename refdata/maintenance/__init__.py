"""Iceberg table maintenance: snapshot expiry, compaction, orphan files, bronze retention (ADR 0012)."""
