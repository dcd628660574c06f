"""Edge inputs answer with a 2xx or 4xx, never a server error (beyond schemathesis's random
examples: the extremes of ids, dates, offsets and bodies)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HUGE = "10070028980446418504630927360"


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/cases/{HUGE}/",
        f"/api/v1/children/{HUGE}/",
        f"/api/v1/cases/{HUGE}/offences/",
        f"/api/v1/cases/{HUGE}/referral/",
        f"/api/v1/cases/{HUGE}/report/versions/{HUGE}/pdf/",
        "/api/v1/cases/?limit=0&offset=-1",
        f"/api/v1/cases/?limit={HUGE}",
        "/api/v1/children/?yot_reference=%00&pnc_number=" + "x" * 5000,
        "/api/v1/monitoring/figures/?start=0001-01-01&end=9999-12-31",
        "/api/v1/monitoring/figures/?start=9999-12-31",
        "/api/v1/monitoring/figures/?start=2026-13-45",
    ],
)
def test_extreme_reads(client, api, path):
    assert client.get(path, **api.auth).status_code < 500, path


@pytest.mark.parametrize(
    "body",
    [
        {"date": "0001-01-01", "offence_type": "x"},
        {"date": "9999-12-31", "offence_type": "x" * 5000},
        {"date": "2026-01-01", "offence_type": "Theft", "gravity": 10**30},
        {"date": None},
        [],
    ],
)
def test_extreme_writes(client, api, body):
    url = reverse("api:offences", kwargs={"pk": api.case.pk})
    response = client.post(url, body, content_type="application/json", **api.auth)
    assert response.status_code < 500, response.content
