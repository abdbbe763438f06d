"""`up` is idempotent, `status` tells the truth, and bad configuration fails fast and cleanly."""

from __future__ import annotations

import shutil
import socket

import pytest

from refdata.errors import ConfigurationError
from refdata.settings import Ports, Settings

pytestmark = pytest.mark.integration


def test_up_twice_starts_nothing_the_second_time(settings, stack) -> None:
    from refdata.stack import manager

    assert manager.up(settings, "all", log=lambda line: None) == []
    report = {entry.name: entry for entry in manager.status(settings)}
    for name in manager.GROUPS["all"]:
        assert report[name].healthy, name
        assert report[name].pid is not None
        assert report[name].rss_bytes > 0
    assert report["trino"].port == settings.ports.trino


def _isolated_settings(settings, name: str, offset: int, **overrides) -> Settings:  # type: ignore[no-untyped-def]
    # Under the test var dir rather than pytest's tmp_path: when the suite runs as root,
    # PostgreSQL runs as `postgres`, which cannot enter root's private temp directories.
    ports = Ports(**{port: value + offset for port, value in settings.ports.model_dump().items()})
    var_dir = settings.var_dir / "isolated" / name
    shutil.rmtree(var_dir, ignore_errors=True)
    return Settings(var_dir=var_dir, ports=ports, **overrides)


def test_taken_port_names_the_port_and_the_setting(settings) -> None:
    from refdata.stack import postgres

    isolated = _isolated_settings(settings, "taken-port", 300)
    with socket.socket() as squatter:
        squatter.bind((isolated.host, isolated.ports.postgres))
        squatter.listen()
        service = postgres.service(isolated)
        with pytest.raises(ConfigurationError) as error:
            service.start()
    message = str(error.value)
    assert f"{isolated.host}:{isolated.ports.postgres}" in message
    assert "REFDATA_PORTS__POSTGRES" in message
    assert service.pid() is None


def test_wrong_catalog_uri_fails_fast_and_leaves_nothing_running(settings) -> None:
    from refdata.stack import manager, postgres
    from refdata.stack.process import port_is_open

    isolated = _isolated_settings(
        settings, "bad-catalog", 400, catalog_uri="jdbc:postgresql://127.0.0.1:1/no_such_catalog"
    )
    with pytest.raises(ConfigurationError) as error:
        manager.up(isolated, "storage", log=lambda line: None)
    assert "REFDATA_CATALOG_URI" in str(error.value)
    assert "127.0.0.1:1/no_such_catalog" in str(error.value)
    # What this call started (PostgreSQL, the object store) has been stopped again.
    assert postgres.service(isolated).pid() is None
    assert not port_is_open(isolated.host, isolated.ports.postgres)
    assert not port_is_open(isolated.host, isolated.ports.s3)
