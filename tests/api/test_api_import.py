"""Bulk import through the API (issue 21): the YOT system posts its CSV export; a dry run
writes nothing; the import is idempotent on the YOT reference; the token needs
`imports:write` and imports into its own YOT only."""

import pytest
from django.urls import reverse

from api.models import Scope
from ecm.models import AuditEvent, Child, Role
from referrals.models import Offence
from tests.api.conftest import make_token
from tests.factories import member

pytestmark = pytest.mark.django_db

HEADER = (
    "yot_reference,first_name,last_name,date_of_birth,gender,ethnicity,pnc_number,"
    "offence_date,offence_type,disposal\n"
)
CSV = (
    HEADER
    + """Y001,Ffion,Evans,14/03/2010,F,WBRI,19/1234567X,01/02/2024,Theft from a shop,Youth caution
Y001,Ffion,Evans,14/03/2010,F,WBRI,19/1234567X,2024-05-20,Criminal damage,Referral order
Y002,Dylan,Jones,2009-11-02,M,MWBC,,03/06/2024,Assault,YRO
"""
).encode()


def post(client, auth, body=CSV, query=""):
    url = reverse("api:imports") + query
    return client.generic("POST", url, body, content_type="text/csv", **auth)


def test_dry_run_then_import_then_again(client, api):
    before = Child.objects.count()
    dry = post(client, api.auth, query="?dry_run=1")
    assert dry.status_code == 200, dry.content
    assert dry.json()["imported"] is False
    assert dry.json()["counts"]["children_created"] == 2
    assert Child.objects.count() == before  # nothing written

    done = post(client, api.auth)
    assert done.status_code == 200 and done.json()["imported"] is True
    assert done.json()["counts"]["offences_added"] == 3
    assert Child.objects.filter(yot_reference__in=["Y001", "Y002"]).count() == 2
    assert Offence.objects.filter(case__child__yot_reference="Y001").count() == 2
    event = AuditEvent.objects.filter(detail__startswith="bulk import: rows").get()
    assert event.actor_username.startswith("api:alpha:")

    again = post(client, api.auth)
    assert again.status_code == 200
    counts = again.json()["counts"]
    assert counts["children_created"] == 0 and counts["offences_added"] == 0
    assert Child.objects.filter(yot_reference__in=["Y001", "Y002"]).count() == 2


def test_a_bad_file_is_refused_in_words_and_nothing_written(client, api):
    before = Child.objects.count()
    missing = post(client, api.auth, body=b"yot_reference,first_name\nY9,Ann\n")
    assert missing.status_code == 400
    assert "date_of_birth" in " ".join(missing.json()["errors"])
    bad_date = CSV.replace(b"2009-11-02", b"31/02/2009")
    refused = post(client, api.auth, body=bad_date)
    assert refused.status_code == 400 and refused.json()["imported"] is False
    assert any("Row 4" in e for e in refused.json()["errors"])
    assert Child.objects.count() == before
    # Explicitly: the valid rows only.
    partial = post(client, api.auth, body=bad_date, query="?valid_rows_only=1")
    assert partial.status_code == 200 and partial.json()["counts"]["children_created"] == 1


def test_the_scope_and_the_team(client, api):
    _t, without = make_token(api, scopes=[Scope.CASES_READ], name="Read only")
    assert post(client, without).status_code == 403
    central_manager = member(api.central, Role.MANAGER, username="mgr_c")
    _t, central = make_token(
        api, team=api.central, scopes=[Scope.IMPORTS_WRITE], name="Central", actor=central_manager
    )
    assert post(client, central).status_code == 403
    assert post(client, {}).status_code == 401
