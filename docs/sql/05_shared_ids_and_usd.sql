-- Instruments that are the same thing: they share a canonical ID (ADR 0006: same base, quote,
-- settlement asset, class, expiry, strike and right).

-- Canonical IDs listed on more than one venue now.
SELECT canonical_id, count(*) AS listings,
       array_agg(venue || ':' || symbol ORDER BY venue, symbol) AS instruments
FROM gold.symbology_current
WHERE canonical_id IS NOT NULL AND basis = 'listed'
GROUP BY canonical_id
HAVING count(DISTINCT venue) > 1
ORDER BY listings DESC, canonical_id;

-- USD equivalents of BTC-USD-SPOT: the exact USD instruments first, then those quoted in a
-- USD stablecoin (their own IDs stay exact: BTC-USDT-SPOT is not BTC-USD-SPOT).
SELECT canonical_id, venue, symbol, is_exact_usd, usd_substituted
FROM gold.usd_equivalents_current
WHERE usd_equivalent_group = 'BTC-USD-SPOT' AND basis = 'listed'
ORDER BY is_exact_usd DESC, canonical_id, venue, symbol;

-- Linear, inverse and third-asset settlement side by side for BTC perpetuals.
SELECT canonical_id, settlement, settle_asset, usd_equivalent_group, is_exact_usd,
       array_agg(venue || ':' || symbol ORDER BY venue) AS instruments
FROM gold.symbology_current
WHERE base_asset = 'BTC' AND instrument_class = 'perpetual' AND basis = 'listed'
GROUP BY canonical_id, settlement, settle_asset, usd_equivalent_group, is_exact_usd
ORDER BY canonical_id;

-- Unit multipliers: instruments on 1000 PEPE are not PEPE instruments.
SELECT venue, symbol, canonical_id, base_asset, base_multiplier
FROM gold.symbology_current
WHERE base_multiplier > 1
ORDER BY base_asset, venue;

-- Asset normalization (the alias table as loaded): every exchange code that means BTC.
SELECT exchange, code, canonical, kind, valid_from, valid_to, asserted_at
FROM gold.assets_current
WHERE canonical = 'BTC'
ORDER BY exchange, code;

-- Codes that changed meaning over valid time (e.g. Binance LUNA).
SELECT exchange, code, canonical, kind, valid_from, valid_to
FROM gold.assets_current
WHERE valid_from IS NOT NULL OR valid_to IS NOT NULL
ORDER BY exchange, code, valid_from;
