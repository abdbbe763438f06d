-- Point-in-time reads. v = valid time (when it held at the exchange), s = system time (when
-- we believed it). Here v = 2025-10-01 and s = 2026-11-25 01:00 UTC; with a client library,
-- bind them as parameters (`?`) instead of literals.

-- As of valid time v, as currently known (the current belief about the past):
SELECT venue, symbol, canonical_id, basis, valid_from, valid_to
FROM gold.symbology_known
WHERE venue = 'kraken-spot' AND symbol = 'EOSUSD'
  AND valid_from <= TIMESTAMP '2025-10-01 00:00:00'
  AND (valid_to IS NULL OR TIMESTAMP '2025-10-01 00:00:00' < valid_to);

-- As of valid time v, as known at system time s: the two-interval predicate.
SELECT venue, symbol, canonical_id, basis, lifetime_id, recorded_at, superseded_at
FROM gold.symbology
WHERE venue = 'kraken-spot' AND symbol = 'EOSUSD'
  AND valid_from <= TIMESTAMP '2025-10-01 00:00:00'
  AND (valid_to IS NULL OR TIMESTAMP '2025-10-01 00:00:00' < valid_to)
  AND recorded_at <= TIMESTAMP '2026-11-25 01:00:00'
  AND (superseded_at IS NULL OR TIMESTAMP '2026-11-25 01:00:00' < superseded_at);

-- Spec and canonical ID together at (v, s): instruments_bitemporal intersects silver's and
-- gold's intervals, so the same predicate gives at most one row per (venue, symbol).
SELECT venue, symbol, canonical_id, basis, status, tick_size, qty_step, min_qty, min_notional
FROM gold.instruments_bitemporal
WHERE venue = 'kraken-spot' AND symbol LIKE 'EOS%'
  AND valid_from <= TIMESTAMP '2025-10-01 00:00:00'
  AND (valid_to IS NULL OR TIMESTAMP '2025-10-01 00:00:00' < valid_to)
  AND recorded_at <= TIMESTAMP '2026-11-25 01:00:00'
  AND (superseded_at IS NULL OR TIMESTAMP '2026-11-25 01:00:00' < superseded_at)
ORDER BY symbol;

-- Everything a canonical ID stood for at (v, s), across venues.
SELECT venue, symbol, basis, usd_equivalent_group, is_exact_usd
FROM gold.symbology
WHERE canonical_id = 'BTC-USD-SPOT'
  AND valid_from <= TIMESTAMP '2025-10-01 00:00:00'
  AND (valid_to IS NULL OR TIMESTAMP '2025-10-01 00:00:00' < valid_to)
  AND recorded_at <= TIMESTAMP '2026-11-25 01:00:00'
  AND (superseded_at IS NULL OR TIMESTAMP '2026-11-25 01:00:00' < superseded_at);

-- The same with closed ends (9999-12-31), e.g. for BI tools that dislike NULL ends.
SELECT venue, symbol, canonical_id, valid_from, valid_until, recorded_at, known_until
FROM gold.symbology_timeline
WHERE venue = 'kraken-spot' AND symbol = 'EOSUSD'
  AND TIMESTAMP '2025-10-01 00:00:00' >= valid_from AND TIMESTAMP '2025-10-01 00:00:00' < valid_until
  AND TIMESTAMP '2026-11-25 02:00:00' >= recorded_at AND TIMESTAMP '2026-11-25 02:00:00' < known_until;

-- The whole bitemporal history of one symbol, in system-time order.
SELECT recorded_at, superseded_at, valid_from, valid_to, basis, canonical_id, lifetime_id
FROM gold.symbology
WHERE venue = 'kraken-spot' AND symbol = 'EOSUSD'
ORDER BY recorded_at, valid_from;
