"""The access matrix of the core: every role, own team / other team / central / outsider."""

import datetime as dt

import pytest
from django.urls import reverse

from ecm import services
from ecm.access import access_for
from ecm.selectors import case_list_for

# who: (sees case of Alpha, sees Alpha's case referred to central, sees case of Bravo)
MATRIX = {
    "case_manager": (True, True, False),
    "case_manager_2": (True, True, False),
    "senior": (True, True, False),
    "psychologist": (True, True, False),
    "manager": (True, True, False),
    "team_admin": (False, False, False),
    "other_case_manager": (False, False, True),
    "other_senior": (False, False, True),
    "other_manager": (False, False, True),
    "central_senior": (False, True, False),
    "central_psychologist": (False, True, False),
    "central_case_manager": (False, False, False),
    "outsider": (False, False, False),
    "superuser": (False, False, False),
}
CASES = ("case", "referred_case", "other_case")


@pytest.mark.parametrize("who", MATRIX)
def test_case_page_is_200_or_404(client, world, who):
    client.force_login(getattr(world, who))
    for case_attr, allowed in zip(CASES, MATRIX[who], strict=True):
        case = getattr(world, case_attr)
        response = client.get(reverse("case_detail", args=[case.pk]))
        assert response.status_code == (200 if allowed else 404), (who, case_attr)


@pytest.mark.parametrize("who", MATRIX)
def test_case_list_shows_only_visible_cases(client, world, who):
    client.force_login(getattr(world, who))
    response = client.get(reverse("case_list"))
    assert response.status_code == 200
    body = response.content.decode()
    for case_attr, allowed in zip(CASES, MATRIX[who], strict=True):
        case = getattr(world, case_attr)
        assert (case.reference in body) is allowed, (who, case_attr)
        assert (case.child.full_name in body) is allowed, (who, case_attr)


@pytest.mark.parametrize("who", MATRIX)
def test_selector_matches_policy(world, who):
    user = getattr(world, who)
    visible = set(case_list_for(user).values_list("pk", flat=True))
    expected = {getattr(world, c).pk for c, ok in zip(CASES, MATRIX[who], strict=True) if ok}
    assert visible == expected
    for case_attr in CASES:
        case = getattr(world, case_attr)
        assert access_for(user).can_view_case(case) is (case.pk in expected)


def test_unknown_case_is_404(client, world):
    client.force_login(world.manager)
    assert client.get(reverse("case_detail", args=[999999])).status_code == 404


def test_anonymous_is_sent_to_login(client, world):
    for url in (
        reverse("home"),
        reverse("case_list"),
        reverse("case_detail", args=[world.case.pk]),
        reverse("search"),
        reverse("audit_log"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("manager", True),
        ("other_manager", True),
        ("superuser", True),
        ("case_manager", False),
        ("senior", False),
        ("psychologist", False),
        ("team_admin", False),
        ("outsider", False),
    ],
)
def test_audit_log_is_for_managers(client, world, who, allowed):
    client.force_login(getattr(world, who))
    assert client.get(reverse("audit_log")).status_code == (200 if allowed else 403)


SERVICE = {
    "mark_ready": ("potential", services.case_mark_ready),
    "accept": ("referred", services.case_accept),
    "decline": ("referred", services.case_decline),
    "activate": ("preparation", services.case_activate),
    "close": ("active", lambda **kw: services.case_close(reason="order_completed", **kw)),
    "not_carried_forward": (
        "potential",
        lambda **kw: services.case_not_carried_forward(reason="not_ready", **kw),
    ),
    "consent_refuse": ("awaiting_consent", services.case_consent_refuse),
}


@pytest.mark.parametrize(
    "who, name, allowed",
    [
        ("case_manager", "mark_ready", True),
        ("psychologist", "mark_ready", False),
        ("senior", "accept", True),
        ("case_manager", "accept", False),  # only senior practitioners decide
        ("psychologist", "decline", False),
        ("other_senior", "accept", False),  # other team
        ("central_senior", "accept", True),  # referred to the central team
        ("central_psychologist", "activate", True),
        ("case_manager", "activate", False),
        ("case_manager", "close", True),
        ("team_admin", "close", False),
        ("case_manager", "not_carried_forward", True),
        ("psychologist", "not_carried_forward", False),
        ("other_case_manager", "not_carried_forward", False),
        ("senior", "consent_refuse", True),
        ("psychologist", "consent_refuse", False),
    ],
)
def test_transition_permissions(world, who, name, allowed):
    from django.core.exceptions import PermissionDenied

    from ecm.models import Case

    status, service = SERVICE[name]
    case = world.referred_case
    Case.objects.filter(pk=case.pk).update(status=status)
    case.refresh_from_db()
    if allowed:
        moved = service(actor=getattr(world, who), case=case)
        assert moved.status != status
    else:
        with pytest.raises(PermissionDenied):
            service(actor=getattr(world, who), case=case)
        case.refresh_from_db()
        assert case.status == status


def test_not_carried_forward_page(client, world):
    """Before formulation a case ends as "not carried forward to ECM" on its own page (the
    case page only links to it); another team's case is 404 and an active case has no such
    ending (it closes through the closure record)."""
    from tests.factories import CaseFactory

    case = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="preparation")
    url = reverse("case_not_carried_forward", args=[case.pk])
    data = {"version": case.version, "reason": "needs_met_elsewhere", "detail": "CAMHS"}
    client.force_login(world.other_case_manager)
    assert client.get(url).status_code == 404
    assert client.post(url, data).status_code == 404
    client.force_login(world.psychologist)
    assert client.post(url, data).status_code == 403
    client.force_login(world.case_manager)
    assert client.get(url).status_code == 200
    assert client.post(url, data).status_code == 302
    case.refresh_from_db()
    assert case.status == "not_carried_forward"
    assert case.not_carried_forward_reason == "needs_met_elsewhere"
    assert case.ending_detail == "CAMHS"
    assert case.closed_on is not None
    active = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="active")
    url = reverse("case_not_carried_forward", args=[active.pk])
    assert client.get(url).status_code == 403


def test_episodes_of_another_team_are_not_listed(client, world):
    from tests.factories import CaseFactory

    child = world.case.child
    earlier = CaseFactory(
        child=child, team=world.yot_b, status="closed", closed_on=world.case.opened_on
    )
    # An earlier episode in the user's own team is listed, oldest first, with its link.
    first = CaseFactory(
        child=child,
        team=world.yot_a,
        status="closed",
        opened_on=world.case.opened_on - dt.timedelta(days=400),
        closed_on=world.case.opened_on - dt.timedelta(days=200),
    )
    client.force_login(world.case_manager)
    body = client.get(reverse("case_detail", args=[world.case.pk])).content.decode()
    assert earlier.reference not in body
    episodes = body[body.index('id="episodes-heading"') :]
    assert f'href="{reverse("case_detail", args=[first.pk])}"' in episodes
    assert episodes.index(first.reference) < episodes.index(world.case.reference)
    assert f"<strong>{world.case.reference}</strong> (this episode)" in episodes
    client.force_login(world.other_case_manager)
    body = client.get(reverse("case_detail", args=[earlier.pk])).content.decode()
    assert world.case.reference not in body and first.reference not in body
    assert client.get(reverse("case_detail", args=[first.pk])).status_code == 404


# --- Clinical supervision: role x view, for a session of Alpha's psychologist ---------------
# (content: tests/supervision/test_supervision.py::test_confidentiality_matrix)

PSYCHOLOGISTS = {"psychologist", "central_psychologist"}
# Oversight roles (manager, senior practitioner, psychologist, team administrator) of any
# team, and psychologists of the teams they supervise, see that sessions happened.
SUPERVISION_METADATA = {
    "senior",
    "psychologist",
    "manager",
    "team_admin",
    "other_senior",
    "other_manager",
    "central_senior",
    "central_psychologist",
    "superuser",
}


@pytest.fixture
def alpha_session(world):
    from supervision import services as supervision
    from tests.supervision.test_supervision import session_data

    return supervision.session_save(
        actor=world.psychologist, data=session_data(), supervisees=[world.case_manager]
    )


@pytest.mark.parametrize("who", MATRIX)
def test_supervision_matrix(client, world, alpha_session, who):
    client.force_login(getattr(world, who))
    expected = {
        reverse("supervision:index"): 200,
        reverse("supervision:session_new"): 200 if who in PSYCHOLOGISTS else 404,
        reverse("supervision:export"): 200 if who in SUPERVISION_METADATA else 404,
        reverse("supervision:session", args=[alpha_session.pk]): 200
        if who in {"psychologist", "case_manager"}
        else 404,
        reverse("supervision:session_edit", args=[alpha_session.pk]): 200
        if who == "psychologist"
        else 404,
    }
    for url, status in expected.items():
        assert client.get(url).status_code == status, (who, url)


@pytest.mark.parametrize("who", MATRIX)
def test_supervision_rules_of_access(world, who):
    user = getattr(world, who)
    access = access_for(user)
    teams = {"psychologist": {world.yot_a.pk}, "central_psychologist": {world.central.pk}}
    supervised = {
        "psychologist": {world.yot_a.pk},
        # A central team's psychologist supervises the YOTs that refer to it.
        "central_psychologist": {world.central.pk, world.yot_a.pk, world.yot_b.pk},
    }
    assert access.supervising_team_ids() == teams.get(who, set())
    assert access.supervised_team_ids == supervised.get(who, set())
    assert access.can_record_supervision() is (who in PSYCHOLOGISTS)


# --- Monitoring: role x view x team ----------------------------------------------------------

MANAGERS = {"manager", "other_manager"}
PIPELINE = {"senior", "manager", "other_senior", "other_manager", "central_senior"}
#: Managers and senior practitioners see their teams' dashboard ("maintain monitoring
#: information"); the central team's senior practitioner that of the referring YOTs.
DASHBOARD = PIPELINE
#: Who records a YOT's caseload: its own managers and senior practitioners (a central team
#: has no YOT caseload).
CASELOAD = {"senior", "manager", "other_senior", "other_manager"}


@pytest.mark.parametrize("who", MATRIX)
def test_monitoring_matrix(client, world, who):
    client.force_login(getattr(world, who))
    expected = {
        reverse("monitoring:dashboard"): 200 if who in DASHBOARD else 404,
        reverse("monitoring:drill", args=["caseload"]): 200 if who in DASHBOARD else 404,
        reverse("monitoring:export", args=["cohort"]): 200 if who in DASHBOARD else 404,
        reverse("monitoring:caseload"): 200 if who in CASELOAD else 404,
        reverse("monitoring:pipeline"): 200 if who in PIPELINE else 404,
    }
    for url, status in expected.items():
        assert client.get(url).status_code == status, (who, url)


# who: (dashboard teams, caseload teams, exact counts for Alpha, for Bravo)
MONITORING_RULES = {
    "manager": ({"yot_a"}, {"yot_a"}, True, False),
    "senior": ({"yot_a"}, {"yot_a"}, True, False),
    "other_manager": ({"yot_b"}, {"yot_b"}, False, True),
    "other_senior": ({"yot_b"}, {"yot_b"}, False, True),
    # The central team reaches only the cases referred to it: suppressed for the YOTs.
    "central_senior": ({"central", "yot_a", "yot_b"}, set(), False, False),
}


@pytest.mark.parametrize("who", MATRIX)
def test_monitoring_rules_of_access(world, who):
    access = access_for(getattr(world, who))
    dashboard, caseload, exact_a, exact_b = MONITORING_RULES.get(who, (set(), set(), False, False))
    assert access.dashboard_team_ids == {getattr(world, t).pk for t in dashboard}
    assert access.caseload_team_ids() == {getattr(world, t).pk for t in caseload}
    assert access.can_record_caseload(world.yot_a.pk) is ("yot_a" in caseload)
    assert access.sees_exact_counts({world.yot_a.pk}) is exact_a
    assert access.sees_exact_counts({world.yot_b.pk}) is exact_b
    assert not access.sees_exact_counts({world.yot_a.pk, world.yot_b.pk})


@pytest.mark.parametrize(
    "who, sees, hidden",
    [
        ("manager", "case", "other_case"),
        ("other_manager", "other_case", "case"),
        ("senior", "case", "other_case"),
        ("other_senior", "other_case", "case"),
    ],
)
def test_a_manager_sees_the_figures_of_their_own_teams_only(client, world, who, sees, hidden):
    client.force_login(getattr(world, who))
    other_team = world.yot_b if who in ("manager", "senior") else world.yot_a
    # Asking for another team's figures is not honoured: the scope stays the manager's own.
    url = reverse("monitoring:drill", args=["caseload"]) + f"?teams={other_team.pk}"
    body = client.get(url).content.decode()
    assert getattr(world, sees).reference in body
    assert getattr(world, hidden).reference not in body


def test_a_central_team_manager_sees_the_referring_teams(world):
    from ecm.models import Role
    from tests.factories import member

    central_manager = member(world.central, Role.MANAGER, username="mgr_c")
    assert access_for(central_manager).monitoring_team_ids == {
        world.central.pk,
        world.yot_a.pk,
        world.yot_b.pk,
    }


def test_an_inactive_team_gives_no_access_anywhere(world):
    from ecm.models import Team

    Team.objects.filter(pk=world.yot_a.pk).update(is_active=False)
    for who in ("case_manager", "psychologist", "manager", "senior"):
        access = access_for(getattr(world, who))
        assert not access.can_view_case(world.case), who
        assert not access.monitoring_team_ids, who
        assert not access.dashboard_team_ids, who
        assert not access.caseload_team_ids(), who
        assert not access.supervised_team_ids, who
        assert not access.can_record_supervision(), who


# Who records whether a re-opened episode needs another formulation meeting: the psychologist
# or the case's own case manager (decided jointly), of the teams that see the case.
FORMULATION_DECISION = {"case_manager", "psychologist", "central_psychologist"}


@pytest.mark.parametrize("who", MATRIX)
def test_formulation_decision_matrix(world, who):
    from ecm.models import Case
    from tests.factories import CaseFactory

    case = world.referred_case
    earlier = CaseFactory(
        child=case.child, team=case.team, status="closed", closed_on=case.opened_on
    )
    Case.objects.filter(pk=case.pk).update(status="preparation", previous_case=earlier)
    case.refresh_from_db()
    access = access_for(getattr(world, who))
    assert access.can_decide_formulation_need(case) is (who in FORMULATION_DECISION)
    # Not for an episode that was not re-opened, nor once it has ended.
    assert not access.can_decide_formulation_need(world.case)
    Case.objects.filter(pk=case.pk).update(status="closed", closed_on=case.opened_on)
    case.refresh_from_db()
    assert not access.can_decide_formulation_need(case)


# Bulk import (issue 21): a YOT's senior practitioners and managers, into their own YOT only
# (a central ECM team has no children of its own to import).
IMPORT = {"senior": "yot_a", "manager": "yot_a", "other_senior": "yot_b", "other_manager": "yot_b"}


@pytest.mark.parametrize("who", MATRIX)
def test_import_matrix(client, world, who):
    from referrals.models import ChildImport

    access = access_for(getattr(world, who))
    team = IMPORT.get(who)
    assert access.import_team_ids() == ({getattr(world, team).pk} if team else set())
    assert access.can_import_children(world.yot_a) is (team == "yot_a")
    assert not access.can_import_children(world.central)
    job = ChildImport.objects.create(team=world.yot_a)
    client.force_login(getattr(world, who))
    page = client.get(reverse("referrals:import_start"))
    preview = client.get(reverse("referrals:import_detail", args=[job.pk]))
    assert page.status_code == (200 if team else 403)
    assert preview.status_code == {"yot_a": 200, "yot_b": 404, None: 403}[team]
