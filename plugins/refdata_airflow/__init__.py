"""Airflow operators and callbacks of the reference-data warehouse."""
