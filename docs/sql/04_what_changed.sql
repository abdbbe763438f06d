-- What changed in gold's belief between system times s1 and s2 (s1 < s2). Rows are never
-- deleted: a retracted belief has superseded_at in (s1, s2], an asserted one recorded_at.

SELECT 'retracted' AS change, venue, symbol, canonical_id, basis, valid_from, valid_to,
       superseded_at AS changed_at
FROM gold.symbology
WHERE superseded_at > TIMESTAMP '2026-11-25 01:00:00' AND superseded_at <= TIMESTAMP '2026-11-25 02:00:00'
UNION ALL
SELECT 'asserted', venue, symbol, canonical_id, basis, valid_from, valid_to, recorded_at
FROM gold.symbology
WHERE recorded_at > TIMESTAMP '2026-11-25 01:00:00' AND recorded_at <= TIMESTAMP '2026-11-25 02:00:00'
ORDER BY venue, symbol, changed_at, change DESC;

-- Symbols whose mapping *now* (open valid time) differs between beliefs s1 and s2: new,
-- gone (delisted), or mapped to another ID.
WITH at_s1 AS (
    SELECT venue, symbol, canonical_id, basis FROM gold.symbology
    WHERE valid_to IS NULL
      AND recorded_at <= TIMESTAMP '2026-11-25 01:00:00'
      AND (superseded_at IS NULL OR TIMESTAMP '2026-11-25 01:00:00' < superseded_at)),
at_s2 AS (
    SELECT venue, symbol, canonical_id, basis FROM gold.symbology
    WHERE valid_to IS NULL
      AND recorded_at <= TIMESTAMP '2026-11-25 02:00:00'
      AND (superseded_at IS NULL OR TIMESTAMP '2026-11-25 02:00:00' < superseded_at))
SELECT coalesce(b.venue, a.venue) AS venue, coalesce(b.symbol, a.symbol) AS symbol,
       a.canonical_id AS id_before, a.basis AS basis_before,
       b.canonical_id AS id_after, b.basis AS basis_after
FROM at_s1 a
FULL JOIN at_s2 b ON a.venue = b.venue AND a.symbol = b.symbol
WHERE a.canonical_id IS DISTINCT FROM b.canonical_id OR a.basis IS DISTINCT FROM b.basis
ORDER BY venue, symbol;

-- Spec changes over the same window come from silver (gold changes only with the mapping).
SELECT venue, symbol, valid_from, recorded_at, status, tick_size, min_qty
FROM silver.instrument_versions
WHERE layer = 'published'
  AND recorded_at > TIMESTAMP '2026-11-25 01:00:00' AND recorded_at <= TIMESTAMP '2026-11-25 02:00:00'
  AND venue = 'kraken-spot' AND symbol LIKE 'BNB%'
ORDER BY venue, symbol, valid_from;
