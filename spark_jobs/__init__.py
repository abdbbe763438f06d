"""PySpark jobs submitted by Airflow; each module is a spark-submit entry point."""
