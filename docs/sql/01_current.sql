-- Current symbology: what each exchange symbol maps to now (current belief, open valid time).

-- Which exchange instruments are exactly BTC-USD-SPOT?
SELECT venue, symbol, base_code, quote_code, lifetime_id, valid_from
FROM gold.symbology_current
WHERE canonical_id = 'BTC-USD-SPOT' AND basis = 'listed';

-- And back: what is Kraken XXBTZUSD (altname XBTUSD, wsname XBT/USD)?
SELECT canonical_id, base_asset, quote_asset, asset_rules, unknown_assets
FROM gold.symbology_current
WHERE venue = 'kraken-spot' AND symbol = 'XXBTZUSD';

-- Current instruments with their spec and canonical ID (silver joined to gold), e.g. BTC
-- dated futures; inverse contracts show `.BTC` in the ID and settlement 'inverse'.
SELECT venue, symbol, canonical_id, settlement, settle_asset, status, tick_size, contract_size,
       contract_size_asset, expiry
FROM gold.instruments_current
WHERE base_asset = 'BTC' AND instrument_class = 'future'
ORDER BY expiry, venue;

-- Options with strike and right.
SELECT venue, symbol, canonical_id, strike, option_right, expiry
FROM gold.instruments_current
WHERE instrument_class = 'option' AND base_asset = 'BTC' AND strike = 85000
ORDER BY expiry, option_right;

-- The exchange's own JSON for an instrument (silver keeps it verbatim).
SELECT canonical_id, json_extract_scalar(raw_payload, '$.altname') AS altname,
       json_extract_scalar(raw_payload, '$.wsname') AS wsname
FROM gold.instruments_current
WHERE venue = 'kraken-spot' AND symbol = 'XXBTZUSD';

-- Listed instruments without a canonical ID, and why (the gold gate reports them too).
SELECT venue, symbol, id_error, unknown_assets
FROM gold.instruments_current
WHERE canonical_id IS NULL AND basis = 'listed'
ORDER BY venue, symbol;
