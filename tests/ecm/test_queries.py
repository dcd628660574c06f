"""Pages cost a constant number of queries however many rows they show."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ecm.models import Case
from tests.factories import CaseFactory


def _queries(client, url, **kwargs):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def _make_cases(world, n):
    for _ in range(n):
        CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="active")


def test_caseload_queries_do_not_grow_with_cases(client, world, settings):
    client.force_login(world.case_manager)
    Case.objects.exclude(pk=world.case.pk).filter(case_manager=world.case_manager).delete()
    _make_cases(world, 21)  # 22 cases: past the home's first 20, so counted (one query)
    small, response = _queries(client, reverse("home"))
    assert response.content.decode().count('<th scope="row">') == 20
    _make_cases(world, 178)  # 200 cases
    large, response = _queries(client, reverse("home"))
    assert response.content.decode().count('<th scope="row">') == 20
    assert large == small


def test_case_list_queries_do_not_grow_with_cases(client, world):
    client.force_login(world.manager)
    small, _ = _queries(client, reverse("case_list"))
    _make_cases(world, 120)
    large, _ = _queries(client, reverse("case_list"))
    assert large == small


def test_audit_log_queries_do_not_grow_with_events(client, world):
    client.force_login(world.case_manager)
    client.get(reverse("case_detail", args=[world.case.pk]))
    client.force_login(world.manager)
    small, _ = _queries(client, reverse("audit_log"))
    client.force_login(world.case_manager)
    for _ in range(60):
        client.get(reverse("case_detail", args=[world.case.pk]))
    client.force_login(world.manager)
    large, _ = _queries(client, reverse("audit_log"))
    assert large == small
