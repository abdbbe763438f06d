"""The scheduler's preload (plugins/airflow_local_settings.py): every listed module imports,
and only the scheduler process preloads (the API server and DAG processor stay lean)."""

from __future__ import annotations

import subprocess
import sys

from refdata.settings import PROJECT_ROOT

PLUGINS = str(PROJECT_ROOT / "plugins")


def test_every_preloaded_module_imports() -> None:
    sys.path.insert(0, PLUGINS)
    from refdata_airflow.preload import MODULES, preload

    assert preload() == list(MODULES)


def _preloads_as(argv1: str) -> bool:
    probe = ("import sys; sys.argv = ['airflow', %r]; sys.path.insert(0, %r); import airflow_local_settings; "
             "print('pyiceberg.catalog.sql' in sys.modules)") % (argv1, PLUGINS)
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    return out.strip() == "True"


def test_only_the_scheduler_preloads() -> None:
    assert _preloads_as("scheduler") is True
    assert _preloads_as("api-server") is False
