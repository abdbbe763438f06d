"""Gold: the canonical symbology master (ADR 0009).

- `symbology`: pure per-key derivation of gold.symbology rows from silver published versions;
- `assets`: the alias CSV as the bitemporal gold.assets table (pure planning);
- `gate`: the gold gate (checks on the audit branch);
- `job`: the Spark glue (spark_jobs/gold_symbology.py), write-audit-publish;
- `views`: the analyst views in Trino (`ensure_views`).
"""
