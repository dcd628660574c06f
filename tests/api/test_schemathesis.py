"""Schemathesis against the committed schema (api/schema.yaml, kept current by `make lint`):
every operation, a bounded number of generated requests each, in process through the WSGI
application with a valid token of every scope. No server error, and every response that the
schema documents conforms to it."""

from pathlib import Path

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from .test_api import _final_report

SCHEMA = Path(__file__).resolve().parents[2] / "api" / "schema.yaml"
schema = schemathesis.openapi.from_path(SCHEMA)


@pytest.fixture
def app_world(api):
    """The API world with a few records behind the ids the examples are likely to try."""
    from referrals.models import Offence
    from reviews.models import Contact

    Offence.objects.create(case=api.case, date=api.case.opened_on, offence_type="Theft")
    Contact.objects.create(case=api.case, date=api.case.opened_on, kind="phone", purpose="x")
    _final_report(api)
    return api


@pytest.mark.django_db(transaction=False)
@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case, app_world):
    app = get_wsgi_application()
    raw = app_world.auth["HTTP_AUTHORIZATION"]
    # Known ids now and then, so that not every example is a 404.
    given = (case.path_parameters or {}).get("id")
    if isinstance(given, int) and given % 2:
        case.path_parameters["id"] = app_world.case.pk
    # As Django's test client does: a request must not close the test's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        response = case.call(app=app, headers={"Authorization": raw})
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    assert response.status_code < 500, response.text[:500]
    if response.status_code in (200, 201):
        case.validate_response(
            response, checks=[response_schema_conformance, content_type_conformance]
        )
