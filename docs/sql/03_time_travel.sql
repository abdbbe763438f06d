-- Iceberg time travel: the table as it was committed (an axis distinct from system time).
-- Gold runs write to an audit branch and publish by fast-forwarding main after the gate, so
-- main moves when a run publishes; gold.job_state records each run after its publish.
-- Snapshots are expired after 7 days (keeping at least 20 per table, ADR 0012): time travel
-- reaches that far back; the bitemporal columns (02_point_in_time.sql) reach back forever.

-- The runs, their silver watermark and the snapshot each one published.
SELECT run_id, finished_at, watermark, keys_recomputed, rows_inserted, rows_superseded,
       id_errors, gold_snapshot_id
FROM gold.job_state
ORDER BY finished_at DESC;

-- The table exactly as one run published it (<snapshot_id> = job_state.gold_snapshot_id).
SELECT count(*) AS mappings, count(superseded_at) AS superseded
FROM gold.symbology FOR VERSION AS OF <snapshot_id>;

-- The table as it was at a wall-clock instant (<published_at> e.g. a job_state.finished_at).
SELECT count(*) AS mappings
FROM gold.symbology FOR TIMESTAMP AS OF TIMESTAMP '<published_at> UTC';

-- Snapshots of the table. Audited snapshots of runs whose gate failed are listed too, but are
-- not ancestors of main (is_current_ancestor = false); they stay readable by id until expiry.
SELECT s.committed_at, s.snapshot_id, s.operation, h.is_current_ancestor,
       element_at(s.summary, 'added-records') AS added, element_at(s.summary, 'total-records') AS total
FROM gold."symbology$snapshots" s
JOIN gold."symbology$history" h ON h.snapshot_id = s.snapshot_id
ORDER BY s.committed_at;

-- Time travel and system time combined: what the table published by a run said about (v, s).
SELECT venue, symbol, canonical_id, basis
FROM gold.symbology FOR VERSION AS OF <snapshot_id>
WHERE canonical_id = 'BTC-USD-SPOT'
  AND valid_from <= TIMESTAMP '2025-10-01 00:00:00'
  AND (valid_to IS NULL OR TIMESTAMP '2025-10-01 00:00:00' < valid_to)
  AND superseded_at IS NULL;
