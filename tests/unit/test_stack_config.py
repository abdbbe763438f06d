"""Configuration errors are caught before anything starts, with one clear message each."""

from __future__ import annotations

import pytest

from refdata.errors import ConfigurationError
from refdata.settings import Settings


def test_empty_cache_and_unreachable_maven_names_the_url_and_the_setting(tmp_path) -> None:
    from refdata.stack import downloads

    settings = Settings(cache_dir=tmp_path / "cache", maven_repo_url="http://127.0.0.1:1/maven2")
    artifact = downloads.spark_artifacts(settings)[2]
    with pytest.raises(ConfigurationError) as error:
        downloads.fetch(artifact, settings)
    message = str(error.value)
    assert "http://127.0.0.1:1/maven2/org/postgresql/postgresql/" in message
    assert "REFDATA_MAVEN_REPO_URL" in message
    assert not (tmp_path / "cache" / "downloads" / artifact.file_name).exists()


def test_missing_java_names_the_setting(tmp_path) -> None:
    from refdata.stack.java import trino_java_home

    settings = Settings(java25_home=tmp_path / "no-jdk")
    with pytest.raises(ConfigurationError, match="REFDATA_JAVA25_HOME"):
        trino_java_home(settings, minimum=99)


def test_settings_read_prefixed_and_nested_environment(monkeypatch) -> None:
    monkeypatch.setenv("REFDATA_PORTS__TRINO", "19999")
    monkeypatch.setenv("REFDATA_CATALOG_NAME", "othercat")
    monkeypatch.setenv("REFDATA_VENUES", '["kraken-spot"]')
    settings = Settings()
    assert settings.ports.trino == 19999
    assert settings.trino_http_url == f"http://{settings.host}:19999"
    assert settings.catalog_name == "othercat"
    assert settings.venues == ["kraken-spot"]


def test_catalog_uri_override_flows_to_every_engine() -> None:
    from refdata.catalog import spark_catalog_conf
    from refdata.stack.trino import catalog_properties

    settings = Settings(catalog_uri="jdbc:postgresql://db.example:5432/cat")
    assert settings.catalog_sqlalchemy_url == "postgresql+psycopg://refdata:refdata@db.example:5432/cat"
    assert spark_catalog_conf(settings)["spark.sql.catalog.refdata.uri"] == settings.catalog_uri
    props = catalog_properties(settings)
    assert props["iceberg.jdbc-catalog.connection-url"] == settings.catalog_uri
    assert props["iceberg.jdbc-catalog.catalog-name"] == "refdata"
