"""Schemathesis over the OpenAPI schema against the test stack: zero server errors (5xx other
than a documented 503). Bounded: few examples per operation; the SSE stream is excluded."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hsettings

pytestmark = pytest.mark.integration


def _schema():  # type: ignore[no-untyped-def]
    from api.app import create_app
    from refdata.settings import get_settings

    app = create_app(get_settings())
    return schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path="/v1/changes/stream")


def test_no_server_errors(stack) -> None:  # type: ignore[no-untyped-def]
    from hypothesis import given

    operations = 0
    for result in _schema().get_all_operations():
        operation = result.ok()
        operations += 1

        @given(operation.as_strategy())
        @hsettings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call()
            assert response.status_code < 500 or response.status_code == 503, (
                case.method, case.path, case.path_parameters, case.query, response.text[:500])
            if response.status_code >= 400:
                assert response.json()["status"] == response.status_code
                assert response.headers.get("content-type", [""])[0].startswith("application/problem+json"), (
                    case.method, case.path, response.status_code, response.text[:300])

        check()
    assert operations >= 10
