"""Test session set-up.

The suite runs its own stack, beside any development stack: data under var/test and every
port shifted by 100. Both are set here, before anything reads the settings, and can be
overridden from the environment. Integration tests ask for the `stack` fixture, which
starts what is missing and, at the end of the session, stops what it started.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_PORTS = {
    "POSTGRES": 15532,
    "S3": 18433,
    "SEAWEED_MASTER": 19433,
    "SEAWEED_VOLUME": 18181,
    "SEAWEED_FILER": 18988,
    "SEAWEED_ADMIN": 18746,
    "TRINO": 18190,
    "AIRFLOW": 18180,
    "API": 8101,
    "REPLAY": 18110,
}
os.environ.setdefault("REFDATA_VAR_DIR", str(ROOT / "var" / "test"))
for _name, _port in TEST_PORTS.items():
    os.environ.setdefault(f"REFDATA_PORTS__{_name}", str(_port))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def _configure_airflow() -> None:
    # Airflow reads its configuration once, at import: point it at the test stack first.
    from refdata.settings import get_settings
    from refdata.stack.airflow import airflow_env

    for key, value in airflow_env(get_settings()).items():
        if key == "PATH" or key.startswith("AIRFLOW") or key == "JAVA_HOME":
            os.environ[key] = value
    os.environ.setdefault("PYTHONPATH", str(ROOT))


_configure_airflow()


def pytest_collection_modifyitems(config, items) -> None:  # type: ignore[no-untyped-def]
    # The end-to-end run unpauses the DAGs and lets the real scheduler work on the shared
    # bronze/silver/gold tables: it goes last, after every test that drives them itself.
    items.sort(key=lambda item: item.get_closest_marker("end_to_end") is not None)


@pytest.fixture(scope="session")
def settings():  # type: ignore[no-untyped-def]
    from refdata.settings import get_settings

    return get_settings()


def _stack(settings, group: str) -> Iterator[None]:  # type: ignore[no-untyped-def]
    from refdata.stack import manager

    started = manager.up(settings, group, log=lambda line: None)
    yield
    if os.environ.get("REFDATA_KEEP_TEST_STACK") != "1":
        manager.down(settings, only=started, log=lambda line: None)


@pytest.fixture(scope="session")
def stack(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """The whole test stack (storage, Trino, replay server, Airflow)."""
    yield from _stack(settings, "all")


@pytest.fixture(scope="session")
def spark(settings, stack):  # type: ignore[no-untyped-def]
    from refdata.spark import get_session

    session = get_session(settings, "refdata-tests")
    yield session
    session.stop()
    # py4j's client finaliser logs "Closing down clientserver connection" at interpreter exit,
    # after pytest has closed the stream its handler writes to: a "Logging error" traceback
    # under a green run, which reads like a failure.
    logging.getLogger("py4j").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def trino_cursor(settings, stack):  # type: ignore[no-untyped-def]
    from refdata.catalog import trino_connection

    return trino_connection(settings).cursor()
