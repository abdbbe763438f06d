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


def test_a_clone_elsewhere_finds_the_captures_beside_its_origin(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from refdata.settings import default_captures_dir, origin_checkout

    origin = tmp_path / "work" / "main"
    (tmp_path / "work" / "shared" / "exchange-captures").mkdir(parents=True)
    clone = tmp_path / "elsewhere" / "fresh"
    (clone / ".git").mkdir(parents=True)
    (clone / ".git" / "config").write_text(
        '[core]\n\tbare = false\n[remote "origin"]\n\turl = %s\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n' % origin)
    assert origin_checkout((clone / ".git" / "config").read_text()) == origin
    assert default_captures_dir(clone) == tmp_path / "work" / "shared" / "exchange-captures"
    assert default_captures_dir(origin) == tmp_path / "work" / "shared" / "exchange-captures"
    assert origin_checkout('[remote "origin"]\n\turl = https://github.com/x/y.git\n') is None
    lonely = tmp_path / "lonely" / "p"
    lonely.mkdir(parents=True)
    assert default_captures_dir(lonely) == tmp_path / "lonely" / "shared" / "exchange-captures"  # the error names it
