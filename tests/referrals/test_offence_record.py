"""Recording an offence on a case, also after it has ended (offending after ECM needs no
re-referral): the service, its access rule and the page."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ecm.models import AuditEvent
from referrals import services
from referrals.models import Offence
from tests.factories import CaseFactory


@pytest.fixture
def closed(world):
    today = timezone.localdate()
    return CaseFactory(
        team=world.yot_a,
        case_manager=world.case_manager,
        status="closed",
        opened_on=today - dt.timedelta(days=300),
        closed_on=today - dt.timedelta(days=30),
        closure_reason="order_completed",
    )


def data(**changes):
    values = {
        "date": timezone.localdate() - dt.timedelta(days=5),
        "offence_type": "Theft",
        "gravity": 3,
        "disposal": "",
    }
    return values | changes


def test_an_offence_after_the_case_closed_is_recorded_and_audited(world, closed):
    offence = services.offence_record(actor=world.case_manager, case=closed, data=data())
    assert offence.case == closed and offence.offence_type == "Theft"
    event = AuditEvent.objects.get(object_type="referrals.offence", object_id=str(offence.pk))
    assert event.action == "create" and event.detail == "after the case ended"
    assert event.child_id == closed.child_id


@pytest.mark.parametrize("who", ["psychologist", "other_case_manager", "central_senior"])
def test_only_the_owning_yot_records_offences(world, closed, who):
    with pytest.raises(PermissionDenied):
        services.offence_record(actor=getattr(world, who), case=closed, data=data())
    assert not Offence.objects.filter(case=closed).exists()


def test_bad_dates_are_refused_on_the_field(world, closed):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        services.offence_record(actor=world.senior, case=closed, data=data(date=tomorrow))
    assert "date" in refused.value.message_dict
    born = closed.child.date_of_birth
    with pytest.raises(ValidationError) as refused:
        services.offence_record(
            actor=world.senior, case=closed, data=data(date=born - dt.timedelta(days=1))
        )
    assert "before the child was born" in refused.value.message_dict["date"][0]


def test_the_offences_page(client, world, closed):
    url = reverse("referrals:offences", args=[closed.pk])
    client.force_login(world.other_case_manager)
    assert client.get(url).status_code == 404
    client.force_login(world.psychologist)
    page = client.get(url)
    assert page.status_code == 200 and "Record the offence" not in page.content.decode()
    assert client.post(url, {"date": "2026-01-01", "offence_type": "x"}).status_code == 403
    client.force_login(world.case_manager)
    body = client.get(url).content.decode()
    assert "counts as offending after ECM" in body
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = client.post(url, {"date": future, "offence_type": "Criminal damage"})
    assert response.status_code == 400
    assert 'value="Criminal damage"' in response.content.decode()  # what was typed stays
    when = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    response = client.post(url, {"date": when, "offence_type": "Criminal damage", "gravity": 2})
    assert response.status_code == 302
    assert "Criminal damage" in client.get(url).content.decode()
    # The case page's referral section links to it.
    from referrals.models import Referral

    Referral.objects.create(case=closed, status="decided")
    case_page = client.get(reverse("case_detail", args=[closed.pk])).content.decode()
    assert url in case_page and "Offences: record one" in case_page
