"""Bitemporal instrument versions: the rule (oracle), its incremental materialization, rows.

See docs/adr/0005-bitemporal-model.md.
"""

from .events import (NO_INSTRUMENT, Correction, Key, KeyEvent, KeyObservation, Observation,
                     Revocation, contract_hash, normalize)
from .index import IndexEntry, VenueIndex, keys_to_advance, observation_changes_key
from .materialize import Changes, KeyState, OutOfOrderEvent, advance, apply_changes, rebuild
from .rows import VersionRow, evaluate, evaluate_field, lifetime_id, rows_at

__all__ = [
    "NO_INSTRUMENT", "Changes", "Correction", "IndexEntry", "Key", "KeyEvent", "KeyObservation",
    "KeyState", "Observation", "OutOfOrderEvent", "Revocation", "VenueIndex", "VersionRow",
    "advance", "apply_changes", "contract_hash", "evaluate", "evaluate_field", "keys_to_advance",
    "lifetime_id", "normalize", "observation_changes_key", "rebuild", "rows_at",
]
