"""Spark sessions and spark-submit configuration wired to the shared Iceberg catalog."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from refdata.catalog import spark_catalog_conf
from refdata.settings import Settings
from refdata.stack import downloads
from refdata.stack.java import spark_java_home

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def spark_jars(settings: Settings) -> list[str]:
    """Iceberg runtime, Iceberg AWS bundle (S3FileIO) and the PostgreSQL JDBC driver, cached."""
    return [str(downloads.fetch(artifact, settings)) for artifact in downloads.spark_artifacts(settings)]


def spark_conf(settings: Settings) -> dict[str, str]:
    """Everything a Spark job needs, for SparkSession.builder and for spark-submit alike."""
    return {
        **spark_catalog_conf(settings),
        "spark.jars": ",".join(spark_jars(settings)),
        "spark.driver.memory": settings.spark_driver_memory,
        "spark.driver.extraJavaOptions": "-XX:+UseG1GC -Duser.timezone=UTC",
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.ansi.enabled": "false",
        # toPandas through Arrow: audit frames and narrow key lists reach the driver fast.
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.warehouse.dir": str(settings.data_dir / "spark-warehouse"),
    }


def spark_env(settings: Settings) -> dict[str, str]:
    """Environment for a process that starts a Spark JVM (JDK 17, not the system default)."""
    java_home = spark_java_home(settings)
    return {
        "JAVA_HOME": str(java_home),
        "PATH": f"{java_home / 'bin'}:{os.environ.get('PATH', '')}",
        "SPARK_LOCAL_IP": settings.host,
        # Python workers must import the same packages as the driver: this virtualenv.
        "PYSPARK_PYTHON": sys.executable,
    }


def get_session(settings: Settings, app_name: str) -> "SparkSession":
    """A session on settings.spark_master; reuses the one spark-submit already started."""
    from pyspark.sql import SparkSession

    # The JVM starts from this process: point it at JDK 17 whatever the default java is.
    env = spark_env(settings)
    os.environ["JAVA_HOME"] = env["JAVA_HOME"]
    os.environ["PATH"] = env["PATH"]
    os.environ.setdefault("SPARK_LOCAL_IP", settings.host)
    builder = SparkSession.builder.appName(app_name).master(settings.spark_master)
    for key, value in spark_conf(settings).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def collect_records(frame: "DataFrame") -> list[dict[str, Any]]:
    """The frame's rows as plain dicts, through Arrow: several times faster than Row objects
    for the tens of thousands of keys or the megabytes of bodies a job reads."""
    import pyarrow as pa

    batches = frame._collect_as_arrow()  # pyspark 3.5's (private) path of toPandas()
    return pa.Table.from_batches(batches).to_pylist() if batches else []
