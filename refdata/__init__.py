"""Crypto reference-data warehouse: shared domain logic and local-stack tooling."""

__version__ = "0.1.0"
