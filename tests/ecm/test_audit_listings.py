"""Pages that list children leave one audit row naming (by id) whom they showed; another
user's notification is not there for you (404)."""

from django.urls import reverse
from django.utils import timezone

from ecm.models import AuditEvent, Notification
from tests.factories import CaseFactory


def _listings(user):
    """The listing rows: views of no one object (signing in also writes a row)."""
    return AuditEvent.objects.filter(actor=user, action=AuditEvent.Action.VIEW, object_type="")


def _shown_case_ids(response):
    return {case.pk for case in response.context["page"].object_list}


def test_the_case_list_writes_one_row_naming_the_cases_shown(client, world):
    extra = CaseFactory(team=world.yot_a, case_manager=world.case_manager_2, status="active")
    client.force_login(world.manager)
    response = client.get(reverse("case_list"), REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 200
    event = _listings(world.manager).get()
    shown = _shown_case_ids(response)
    assert {world.case.pk, world.referred_case.pk, extra.pk} <= shown
    assert event.action == AuditEvent.Action.VIEW
    assert set(event.listed["cases"]) == shown
    assert set(event.listed["children"]) == {
        c.child_id for c in response.context["page"].object_list
    }
    assert len(event.listed["cases"]) == len(shown)
    # Another team's child was neither shown nor recorded.
    assert world.other_case.pk not in event.listed["cases"]
    assert world.other_case.child_id not in event.listed["children"]
    assert event.team == world.yot_a
    assert event.ip_address == "10.9.8.7"
    assert event.detail.startswith("case list, page 1: ")
    assert world.case.child.last_name not in event.detail


def test_each_view_of_a_listing_is_one_row_whatever_its_size(client, world):
    for _ in range(7):
        CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="active")
    client.force_login(world.manager)
    client.get(reverse("case_list"))
    client.get(reverse("case_list"), {"page": 1})
    assert _listings(world.manager).count() == 2


def test_a_case_managers_home_records_their_caseload(client, world):
    client.force_login(world.case_manager)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    event = _listings(world.case_manager).get()
    assert event.action == AuditEvent.Action.VIEW
    assert set(event.listed["cases"]) == _shown_case_ids(response)
    assert {world.case.pk, world.referred_case.pk} <= set(event.listed["cases"])
    assert world.other_case.pk not in event.listed["cases"]
    assert event.detail.startswith("home, page 1: ")


def test_another_roles_home_records_the_open_cases_shown(client, world):
    client.force_login(world.other_senior)
    response = client.get(reverse("home"))
    event = _listings(world.other_senior).get()
    assert event.listed["cases"] == [world.other_case.pk]
    assert event.listed["children"] == [world.other_case.child_id]
    assert set(event.listed["cases"]) == _shown_case_ids(response)
    # One child shown: the row names that child, so the audit log finds it by the child.
    assert event.child_id == world.other_case.child_id
    assert event.team == world.yot_b


def test_a_listing_that_shows_no_child_writes_nothing(client, world):
    client.force_login(world.outsider)
    response = client.get(reverse("case_list"))
    assert response.status_code == 200
    assert not response.context["page"].object_list
    assert not _listings(world.outsider).exists()


def test_a_search_records_that_it_was_made_and_what_it_showed_but_not_the_term(client, world):
    client.force_login(world.case_manager)
    term = world.case.child.last_name
    response = client.post(reverse("search"), {"q": term})
    assert response.status_code == 200
    event = AuditEvent.objects.get(actor=world.case_manager, action=AuditEvent.Action.SEARCH)
    shown = [case.pk for case in response.context["results"]]
    assert world.case.pk in shown
    assert event.listed["cases"] == shown
    assert world.other_case.pk not in event.listed["cases"]
    assert event.detail == f"{len(shown)} result(s); term of {len(term)} character(s)"
    recorded = str(event.listed) + event.detail + event.object_label + str(event.changed_fields)
    assert term not in recorded
    assert term.lower() not in recorded.lower()


def test_a_search_for_another_teams_child_records_an_empty_result(client, world):
    client.force_login(world.case_manager)
    client.post(reverse("search"), {"q": world.other_case.child.yot_reference})
    event = AuditEvent.objects.get(actor=world.case_manager, action=AuditEvent.Action.SEARCH)
    assert event.listed == {"cases": [], "children": []}
    assert event.child is None
    assert world.other_case.child.yot_reference not in event.detail


def test_marking_another_users_notification_read_is_a_404(client, world):
    theirs = Notification.objects.create(user=world.case_manager_2, title="Review due")
    client.force_login(world.case_manager)
    response = client.post(reverse("notification_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client.post(reverse("notification_read", args=[theirs.pk + 1000])).status_code == 404


def test_opening_another_users_notification_is_a_404(client, world):
    theirs = Notification.objects.create(user=world.case_manager_2, title="Review due", link="/")
    client.force_login(world.case_manager)
    assert client.get(reverse("notification_open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_my_notification_read_still_redirects_even_when_already_read(client, world):
    mine = Notification.objects.create(user=world.case_manager, title="Review due")
    client.force_login(world.case_manager)
    response = client.post(reverse("notification_read", args=[mine.pk]))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.read_at is not None
    first = mine.read_at
    assert client.post(reverse("notification_read", args=[mine.pk])).status_code == 302
    mine.refresh_from_db()
    assert mine.read_at == first <= timezone.now()


def test_searching_the_audit_log_by_child_finds_the_listings_that_showed_them(client, world):
    CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="active")
    client.force_login(world.case_manager)
    client.get(reverse("case_list"))  # shows several children: the row names none of them
    client.post(reverse("search"), {"q": "qxqx"})  # shows nobody
    listing = _listings(world.case_manager).get()
    assert listing.child is None and world.case.child_id in listing.listed["children"]
    client.force_login(world.manager)
    client.post(reverse("audit_log"), {"child": world.case.child.last_name})
    found = list(client.get(reverse("audit_log")).context["page"].object_list)
    assert listing in found
    assert not any(e.action == AuditEvent.Action.SEARCH for e in found)
    # A child no listing showed finds no listing.
    client.post(reverse("audit_log"), {"child": world.other_case.child.last_name})
    assert listing not in client.get(reverse("audit_log")).context["page"].object_list
