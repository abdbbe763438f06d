"""Hypothesis profiles for the bitemporal properties (used per test, never loaded globally).

`bitemporal-ci` (default) is derandomized, so a run is reproducible and fits ~60 s;
BITEMPORAL_HYPOTHESIS_PROFILE=bitemporal-explore searches randomly and longer.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

_COMMON = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile("bitemporal-ci", _COMMON, derandomize=True, max_examples=120)
settings.register_profile("bitemporal-explore", _COMMON, max_examples=2000)
