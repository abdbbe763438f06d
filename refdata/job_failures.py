"""Carry a job's precise failure out of spark-submit to the Airflow task that submitted it.

spark-submit only reports an exit code, so a failed gate would surface in Airflow as
"Cannot execute spark-submit ... Error code is: 1". The submitting operator names a file in
the job's environment; the job writes its RefdataError there (a gate failure names the
failing instruments and the report) and the operator raises with that text.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from refdata.errors import RefdataError

FAILURE_FILE_ENV = "REFDATA_JOB_FAILURE_FILE"


@contextmanager
def reported_failures() -> Iterator[None]:
    try:
        yield
    except RefdataError as error:
        target = os.environ.get(FAILURE_FILE_ENV)
        if target:
            Path(target).write_text(f"{type(error).__name__}: {error}", encoding="utf-8")
        raise


def read_failure(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return text or None
