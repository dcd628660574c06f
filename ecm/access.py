"""The access policy: the one place that decides what a user may see and do.

Rules (need-to-know):

* Case managers, senior practitioners, psychologists and managers see the cases owned by
  the teams they belong to.
* Senior practitioners, psychologists and managers of a *central* ECM team also see the
  cases referred to that team.
* Team administrators look after users and reference data; the role alone gives no access
  to children's records. Neither does being a Django superuser: case data is reached only
  through a team role, so every read is scoped and audited.
* What each role may *do* with a case it sees follows, by stage: referral and consent,
  formulation and its report, reviews and closure. An ended case (closed or not accepted)
  is read-only for every role.
* Clinical supervision: content only for the session's psychologist and its supervisees;
  the teams' oversight roles see that a session happened, never what was said.
* Monitoring: managers and senior practitioners see the dashboard of their teams (and of the
  YOTs that refer to a central team of theirs), with exact counts only for teams whose
  cases they can open anyway (small cells hidden otherwise); they record their team's YOT
  caseload; managers and senior practitioners see the pipeline.
* Bulk import: a YOT's senior practitioners and managers import its children and offences
  from a CSV export of the YOT's own system.
* Managers (and superusers) may search the audit log; a manager sees the events of the
  teams they manage.
* Retention: a team's managers keep a record longer or propose its erasure; another manager
  of the team or its data protection officer approves an erasure, never the proposer; both
  place and lift legal holds.
* A membership takes effect only when a manager of its team approves it, never the person
  it is for nor the person who asked for it (`ecm.memberships`).

Every rule reads the user's *approved* memberships of *active* teams, read once per request
(`access_for`). Selectors build their querysets from the scopes here; views never filter by
hand. Anything not visible is a 404, so the product never confirms that a record exists.
The role x view x team matrices in tests/ecm/test_access.py prove these rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Q

from .models import ON_ECM_STATUSES, Case, Membership, Role, Team, open_case

CASE_ROLES = frozenset(
    {Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER, Role.PSYCHOLOGIST, Role.MANAGER}
)
CENTRAL_CASE_ROLES = frozenset({Role.SENIOR_PRACTITIONER, Role.PSYCHOLOGIST, Role.MANAGER})
#: Who may register a child and open, re-open or change a case of their team.
OWNER_ROLES = frozenset({Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER, Role.MANAGER})
#: Who prepares for the formulation meeting: genogram, summary, timeline, invitations.
PREPARER_ROLES = CASE_ROLES
#: The practitioners around the child after formulation: reviews and actions.
PRACTITIONER_ROLES = frozenset({Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER, Role.PSYCHOLOGIST})
#: Who may be clinically supervised.
SUPERVISEE_ROLES = frozenset({Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER})
#: Who sees when supervision sessions happened in their teams (never what was said).
#: Who sees the monitoring dashboard of their teams and records the team's YOT caseload.
MONITORING_ROLES = frozenset({Role.MANAGER, Role.SENIOR_PRACTITIONER})
#: Who imports a YOT's children and offences in bulk (issue 21).
IMPORT_ROLES = frozenset({Role.SENIOR_PRACTITIONER, Role.MANAGER})
#: Who sees a team's retention reviews, places legal holds and approves erasures.
RETENTION_ROLES = frozenset({Role.MANAGER, Role.DPO})
SUPERVISION_OVERSIGHT_ROLES = frozenset(
    {Role.MANAGER, Role.SENIOR_PRACTITIONER, Role.PSYCHOLOGIST, Role.ADMIN}
)


@dataclass(frozen=True)
class _Grant:
    team_id: int
    team_kind: str
    role: str


class Access:
    """What one user may do, computed once per request from their memberships."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def grants(self) -> tuple[_Grant, ...]:
        if not getattr(self.user, "is_authenticated", False) or not self.user.is_active:
            return ()
        # Only approved memberships count: one waiting for a manager's approval gives nothing.
        rows = Membership.objects.approved().filter(user=self.user, team__is_active=True)
        rows = rows.values_list("team_id", "team__kind", "role")
        return tuple(_Grant(*row) for row in rows)

    def team_ids(self, roles: Iterable[str] | None = None) -> set[int]:
        """The active teams where the user holds one of `roles` (any role if None)."""
        wanted = set(roles) if roles is not None else None
        return {g.team_id for g in self.grants if wanted is None or g.role in wanted}

    def roles_in(self, team_id: int | None) -> set[str]:
        return {g.role for g in self.grants if g.team_id == team_id}

    def has_role(self, *roles: str) -> bool:
        return any(g.role in roles for g in self.grants)

    def _with_referring_teams(self, team_ids: set[int]) -> set[int]:
        """`team_ids` and the active YOTs that refer to a central team among them."""
        central = {g.team_id for g in self.grants if g.team_kind == Team.Kind.CENTRAL}
        if not team_ids & central:
            return set(team_ids)
        referring = Team.objects.filter(
            central_team_id__in=team_ids & central, is_active=True
        ).values_list("pk", flat=True)
        return set(team_ids) | set(referring)

    # --- cases -------------------------------------------------------------------------
    def case_scope(self, prefix: str = "") -> Q:
        """A filter on Case for every case this user may see (matches nothing if none);
        `prefix` ("case__") to filter another model by its case directly (a join the
        planner can narrow early, where a `case__in` subquery is often tested last)."""
        owning = self.team_ids(CASE_ROLES)
        central = {
            g.team_id
            for g in self.grants
            if g.team_kind == Team.Kind.CENTRAL and g.role in CENTRAL_CASE_ROLES
        }
        q = Q(**{f"{prefix}pk__in": []})
        if owning:
            q |= Q(**{f"{prefix}team_id__in": owning})
        if central:
            q |= Q(**{f"{prefix}referred_to_id__in": central})
        return q

    def case_roles(self, case: Case) -> set[str]:
        """The roles through which this user reaches the case (empty: no access)."""
        roles = self.roles_in(case.team_id) & CASE_ROLES
        if case.referred_to_id:
            roles |= self.roles_in(case.referred_to_id) & CENTRAL_CASE_ROLES
        return roles

    def _open_case_roles(self, case: Case) -> set[str]:
        """The case roles, or none at all once the case has ended (read-only)."""
        return self.case_roles(case) if case.is_open else set()

    def _is_own_case_manager(self, case: Case, roles: set[str]) -> bool:
        return Role.CASE_MANAGER in roles and case.case_manager_id == self.user.pk

    def can_view_case(self, case: Case) -> bool:
        return bool(self.case_roles(case))

    def can_change_case(self, case: Case) -> bool:
        """Edit the case's own details (allocation, child's details): senior practitioners
        and managers, and the case's own case manager."""
        roles = self.case_roles(case)
        if roles & {Role.SENIOR_PRACTITIONER, Role.MANAGER}:
            return True
        return self._is_own_case_manager(case, roles)

    def can_correct_child(self, case: Case) -> bool:
        """Correct the child's details (name, date of birth, references...) through their
        open case: the owning YOT keeps the child's record, so its senior practitioners and
        managers, and the case's own case manager (any of the team's case managers while
        the case is unallocated). Not the central team, not psychologists; an ended case
        is read-only like everything else on it."""
        if not case.is_open:
            return False
        roles = self.roles_in(case.team_id)
        if roles & {Role.SENIOR_PRACTITIONER, Role.MANAGER}:
            return True
        return Role.CASE_MANAGER in roles and case.case_manager_id in (None, self.user.pk)

    def can_create_case(self, team: Team) -> bool:
        return bool(self.roles_in(team.pk) & OWNER_ROLES)

    def teams_for_new_cases(self) -> set[int]:
        return self.team_ids(OWNER_ROLES)

    def is_case_manager(self) -> bool:
        """Holds a case manager role somewhere: the home page is their caseload."""
        return self.has_role(Role.CASE_MANAGER)

    def can_decide_formulation_need(self, case: Case) -> bool:
        """A re-opened episode: whether another formulation meeting is needed is decided
        jointly by the psychologist and the case manager (practice guidance, "Re-opening
        cases"), so either records it: a psychologist of the case, or its own case manager."""
        if case.previous_case_id is None:
            return False
        roles = self._open_case_roles(case)
        return Role.PSYCHOLOGIST in roles or self._is_own_case_manager(case, roles)

    def can_record_offence(self, case: Case) -> bool:
        """Record an offence of the child on the case: the owning YOT (its case managers,
        senior practitioners and managers). Also once the case has ended: offending after ECM
        is monitored, and needs no re-referral."""
        return bool(self.roles_in(case.team_id) & OWNER_ROLES)

    def import_team_ids(self) -> set[int]:
        """The YOTs whose children and offences the user may import from a CSV export of the
        YOT's own system (issue 21): their senior practitioners and managers."""
        return {
            g.team_id
            for g in self.grants
            if g.role in IMPORT_ROLES and g.team_kind == Team.Kind.YOT
        }

    def can_import_children(self, team: Team) -> bool:
        return team.pk in self.import_team_ids()

    # --- referral, eligibility and consent -------------------------------------------------
    def can_edit_referral(self, case: Case) -> bool:
        """The owning YOT completes the referral: the allocated case manager (or any case
        manager when none is allocated), the team's senior practitioners and managers."""
        roles = self.roles_in(case.team_id)
        if roles & {Role.SENIOR_PRACTITIONER, Role.MANAGER}:
            return True
        if Role.CASE_MANAGER in roles:
            return case.case_manager_id in (None, self.user.pk)
        return False

    def can_record_consent(self, case: Case) -> bool:
        return self.can_edit_referral(case)

    def can_manage_rule_sets(self) -> bool:
        """Eligibility rule sets are reference data the steering group sets: administrators
        allowed to change them in the admin make their new versions."""
        return self.user.is_active and self.user.has_perm("referrals.change_ruleset")

    def can_decide_referral(self, case: Case) -> bool:
        """Senior practitioners of the owning team or of the central team referred to."""
        return Role.SENIOR_PRACTITIONER in self.case_roles(case)

    def can_sift_referrals(self) -> bool:
        """The referral queue and the waiting list: senior practitioners (ECM champions)."""
        return self.has_role(Role.SENIOR_PRACTITIONER)

    # --- formulation meeting --------------------------------------------------------------
    def can_schedule_meeting(self, case: Case) -> bool:
        """The senior practitioner convenes the formulation meeting."""
        return Role.SENIOR_PRACTITIONER in self._open_case_roles(case)

    def can_prepare_formulation(self, case: Case) -> bool:
        """Genogram, case summary, timeline, invitations and attendance: the case's team and
        the central team's practitioners (not team administrators)."""
        return bool(self._open_case_roles(case) & PREPARER_ROLES)

    def formulation_team_ids(self) -> set[int]:
        """Teams whose directory of partner professionals the user may keep."""
        return self.team_ids(PREPARER_ROLES)

    def can_record_meeting(self, case: Case) -> bool:
        """Minutes, developmental map and recommendations: the chair's and psychologist's."""
        return bool(self._open_case_roles(case) & {Role.SENIOR_PRACTITIONER, Role.PSYCHOLOGIST})

    def can_place_on_trm(self, case: Case) -> bool:
        """Only the psychologist places the child on the Trauma Recovery Model, at
        formulation and at reviews."""
        return Role.PSYCHOLOGIST in self._open_case_roles(case)

    def is_case_psychologist(self, case: Case) -> bool:
        return Role.PSYCHOLOGIST in self.case_roles(case)

    # --- formulation report ---------------------------------------------------------------
    def can_write_report(self, case: Case, report=None) -> bool:
        """Only the psychologist writes and amends the formulation report and its
        recommendations, in every state; everyone else comments. Once started, the report is
        its author's: another psychologist of the case takes it over first (audited)."""
        if Role.PSYCHOLOGIST not in self._open_case_roles(case):
            return False
        return report is None or report.psychologist_id == self.user.pk

    def can_take_over_report(self, case: Case, report) -> bool:
        return (
            Role.PSYCHOLOGIST in self._open_case_roles(case)
            and report.psychologist_id != self.user.pk
        )

    def can_check_report(self, case: Case) -> bool:
        """The case's own case manager and the senior practitioners check the draft for
        accuracy; never a psychologist (nobody approves their own clinical writing)."""
        roles = self._open_case_roles(case)
        if Role.PSYCHOLOGIST in roles:
            return False
        return Role.SENIOR_PRACTITIONER in roles or self._is_own_case_manager(case, roles)

    def report_check_scope(self, path: str = "") -> Q:
        """`can_check_report` as a filter on Case (through `path`, e.g. "case__"), for the
        list of drafts waiting for this user's check."""
        senior = self.team_ids({Role.SENIOR_PRACTITIONER})
        psychologist = self.team_ids({Role.PSYCHOLOGIST})
        checks = (
            Q(**{f"{path}team_id__in": senior})
            | Q(**{f"{path}referred_to_id__in": senior})
            | Q(
                **{
                    f"{path}team_id__in": self.team_ids({Role.CASE_MANAGER}),
                    f"{path}case_manager_id": self.user.pk,
                }
            )
        )
        never = Q(**{f"{path}team_id__in": psychologist}) | Q(
            **{f"{path}referred_to_id__in": psychologist}
        )
        return checks & ~never & open_case(path)

    def can_circulate_report(self, case: Case) -> bool:
        """The case's case manager (or a senior practitioner) circulates the final report."""
        roles = self._open_case_roles(case)
        return Role.SENIOR_PRACTITIONER in roles or self._is_own_case_manager(case, roles)

    def can_change_recommendations(self, case: Case, report=None) -> bool:
        """The chair and psychologist record the group's recommendations at the meeting; once
        the psychologist has started the report, only they change them."""
        if report is not None:
            return self.can_write_report(case, report)
        return self.can_record_meeting(case)

    def can_confirm_review_recommendation(self, case: Case, report=None) -> bool:
        """A recommendation agreed at a review joins the formulation only when the
        psychologist confirms it (the report's author, once the report is started)."""
        return self.can_write_report(case, report)

    # --- reviews, contacts and closure ------------------------------------------------------
    def can_record_review(self, case: Case) -> bool:
        """Reviews are recorded by the practitioners around the child (chair, case manager,
        psychologist)."""
        return bool(self._open_case_roles(case) & PRACTITIONER_ROLES)

    def can_arrange_review(self, case: Case) -> bool:
        """A review meeting is arranged (date, place, invitations) by the practitioners who
        hold reviews: the senior practitioner who chairs it, the case manager, the
        psychologist."""
        return bool(self._open_case_roles(case) & PRACTITIONER_ROLES)

    def can_manage_actions(self, case: Case) -> bool:
        return bool(self._open_case_roles(case) & PRACTITIONER_ROLES)

    def can_record_contact(self, case: Case) -> bool:
        return bool(self._open_case_roles(case) & {Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER})

    def can_decide_missed(self, case: Case) -> bool:
        """Warning and breach decisions are the YOT's (after consulting the psychologist)."""
        return bool(
            self._open_case_roles(case)
            & {Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER, Role.MANAGER}
        )

    def can_rate(self, case: Case) -> bool:
        """Risk ratings and the outcome survey: the case manager's (or a senior's)."""
        return bool(self._open_case_roles(case) & {Role.CASE_MANAGER, Role.SENIOR_PRACTITIONER})

    def can_close_case(self, case: Case) -> bool:
        """The closure review of a case on ECM (active, or in its voluntary period): senior
        practitioners, managers and the case's own case manager."""
        return case.status in ON_ECM_STATUSES and self.can_change_case(case)

    # --- clinical supervision ---------------------------------------------------------------
    def supervising_team_ids(self) -> set[int]:
        """The teams where the user is a psychologist (who records supervision)."""
        return self.team_ids({Role.PSYCHOLOGIST})

    def can_record_supervision(self) -> bool:
        return bool(self.supervising_team_ids())

    @cached_property
    def supervised_team_ids(self) -> set[int]:
        """The teams whose practitioners this psychologist supervises: their own teams and
        the YOTs that refer to a central team they belong to."""
        return self._with_referring_teams(self.supervising_team_ids())

    def supervisee_teams(self, among: Iterable[int] | None = None) -> list[int]:
        """The teams (among `among`, if given) where the user may be supervised, in the order
        of their names (the first is where a session is filed)."""
        wanted = set(among) if among is not None else None
        teams = []
        for grant in self.grants:  # memberships come ordered by team name
            in_scope = wanted is None or grant.team_id in wanted
            if grant.role in SUPERVISEE_ROLES and in_scope and grant.team_id not in teams:
                teams.append(grant.team_id)
        return teams

    def supervision_metadata_team_ids(self) -> set[int] | None:
        """Teams whose session dates the user may see (metadata only); None: every team (a
        superuser, for the admin's read-only list)."""
        if self.user.is_superuser:
            return None
        return self.team_ids(SUPERVISION_OVERSIGHT_ROLES) | self.supervised_team_ids

    def supervision_content_scope(self) -> Q:
        """A filter on supervision sessions for those whose content this user may read: the
        session's psychologist and its supervisees, whatever other role anyone holds."""
        return Q(psychologist=self.user) | Q(attendance__user=self.user)

    # --- monitoring -------------------------------------------------------------------------
    @cached_property
    def monitoring_team_ids(self) -> set[int]:
        """The teams a manager oversees: the teams they manage and the YOTs that refer to a
        central team they manage (supervision coverage; the dashboard: `dashboard_team_ids`)."""
        return self._with_referring_teams(self.team_ids({Role.MANAGER}))

    @cached_property
    def dashboard_team_ids(self) -> set[int]:
        """The teams whose dashboard the user sees: managers and senior practitioners (who
        "maintain monitoring information about the progress of cases") of the team, or of a
        central team the YOT refers to (empty: no dashboard)."""
        return self._with_referring_teams(self.team_ids(MONITORING_ROLES))

    def sees_exact_counts(self, team_ids: Iterable[int]) -> bool:
        """Whether the dashboard of `team_ids` may show exact counts: only when the user can
        open every case it counts (a case role in each team, `case_scope`). A central team's
        member reaches only the cases referred to it, so a referring YOT's figures stay
        suppressed for them, as does an empty choice."""
        wanted = set(team_ids)
        return bool(wanted) and wanted <= self.team_ids(CASE_ROLES) & self.dashboard_team_ids

    def caseload_team_ids(self) -> set[int]:
        """The YOTs whose whole caseload the user records: their own YOTs, as a manager or
        senior practitioner (a central ECM team has no YOT caseload of its own)."""
        return {
            g.team_id
            for g in self.grants
            if g.role in MONITORING_ROLES and g.team_kind == Team.Kind.YOT
        }

    def can_record_caseload(self, team_id: int) -> bool:
        return team_id in self.caseload_team_ids()

    def can_view_pipeline(self) -> bool:
        return self.has_role(Role.SENIOR_PRACTITIONER, Role.MANAGER)

    def is_manager(self) -> bool:
        return self.has_role(Role.MANAGER)

    # --- subject access ------------------------------------------------------------------
    def subject_access_team_ids(self) -> set[int]:
        """The teams whose children's subject access requests this user handles: the teams
        they manage (the owning YOT answers for the child's record; issue 20)."""
        return self.team_ids({Role.MANAGER})

    def can_handle_subject_access(self, case: Case) -> bool:
        """Produce, redact and release everything held about the child of `case`: a manager
        of the team that owns the case."""
        return case.team_id in self.subject_access_team_ids()

    # --- memberships ---------------------------------------------------------------------
    def membership_approval_team_ids(self) -> set[int]:
        """The teams whose waiting memberships this user decides on: the active teams they
        manage through an approved membership. Superuser or staff status counts for nothing."""
        return self.team_ids({Role.MANAGER})

    def can_approve_membership(self, membership: Membership) -> bool:
        """A manager of the membership's team approves (or refuses) it, never the person it is
        for nor the person who asked for it: nobody grants themselves access, and no one
        person both asks and approves."""
        return (
            membership.team_id in self.membership_approval_team_ids()
            and membership.user_id != self.user.pk
            and membership.requested_by_id != self.user.pk
        )

    def can_administer_memberships(self) -> bool:
        """Make, change and delete memberships (they wait for approval) in the admin."""
        return (
            self.user.is_active
            and self.user.is_staff
            and self.user.has_perm("ecm.change_membership")
        )

    # --- audit -------------------------------------------------------------------------
    def factor_reset_team_ids(self) -> set[int]:
        """Teams whose members' sign-in factors this user may reset (issue 19)."""
        return self.team_ids({Role.ADMIN, Role.MANAGER})

    def can_reset_factors(self, member) -> bool:
        """A team administrator or manager resets a member's factors; never their own."""
        team_ids = self.factor_reset_team_ids()
        if member.pk == self.user.pk or not team_ids:
            return False
        return Membership.objects.approved().filter(user=member, team_id__in=team_ids).exists()

    def can_view_audit(self) -> bool:
        return self.user.is_superuser or self.has_role(Role.MANAGER)

    def audit_scope(self) -> Q:
        if self.user.is_superuser:
            return Q()
        return Q(team_id__in=self.team_ids({Role.MANAGER}))

    # --- retention and erasure (issue 20) -------------------------------------------------
    def retention_team_ids(self) -> set[int]:
        """Teams whose retention pages the user sees: their managers and data protection
        officers (a DPO role gives no access to the children's records themselves)."""
        return self.team_ids(RETENTION_ROLES)

    def can_decide_retention(self, team_id: int) -> bool:
        """Keep a record until a later date, or propose its erasure: the team's managers."""
        return Role.MANAGER in self.roles_in(team_id)

    def can_hold(self, team_id: int) -> bool:
        """Place or lift a legal hold: the team's managers and data protection officers."""
        return bool(self.roles_in(team_id) & RETENTION_ROLES)

    def can_approve_erasure(self, request) -> bool:
        """The second person of an erasure: another manager of the team or its data
        protection officer, never the manager who proposed it."""
        return (
            bool(self.roles_in(request.team_id) & RETENTION_ROLES)
            and request.proposed_by_id is not None
            and request.proposed_by_id != self.user.pk
        )

    def sees_child_names_of(self, team_id: int) -> bool:
        """Retention pages name the child only to those who may open the team's cases."""
        return bool(self.roles_in(team_id) & CASE_ROLES)

    # --- integration tokens (issue 21) ------------------------------------------------
    def api_token_team_ids(self) -> set[int]:
        """Teams whose API tokens the user creates and revokes: their administrators and
        managers (a token acts for its team alone, within its scopes: `api.access`)."""
        return self.team_ids({Role.ADMIN, Role.MANAGER})

    # --- e-mail delivery (the admin's reminder list; no case data) --------------------
    def can_resolve_email_delivery(self) -> bool:
        return self.user.is_active and self.user.is_superuser


def access_for(user) -> Access:
    """The Access of a user, cached on the user object for the rest of the request."""
    cached = getattr(user, "_ecm_access", None)
    if cached is None:
        cached = Access(user)
        if getattr(user, "is_authenticated", False):
            user._ecm_access = cached
    return cached
