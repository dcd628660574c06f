"""The accounts and pages `make loadtest` uses (scripts/loadtest/locustfile.py reads the JSON).

    manage.py loadtest_users --out FILE [--password PW] [--case-managers 60]
                             [--seniors 20] [--psychologists 10] [--managers 10]

Takes users that `generate_data` made (usernames starting `gen`), spread over the teams,
gives them one known password (hashed once with the configured hasher, so signing in costs
what it costs in production), and for each one lists the pages of their own scope, picked
through `ecm.access` as the product itself scopes them: the case pages of a case manager's
own active cases; for senior practitioners and psychologists the formulation meeting and
timeline of active cases their teams hold or were referred. Refused where generated data is
not allowed (production).
"""

from __future__ import annotations

import json
from itertools import zip_longest

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from ecm.access import access_for
from ecm.models import Case, CaseStatus, Membership, Role, User
from formulation.models import Meeting

PAGES_PER_USER = 5  # case pages (and meetings) each user moves between

# Role key in the JSON -> the membership role, and whether their pages are meetings.
ROLES = {
    "case_manager": Role.CASE_MANAGER,
    "senior_practitioner": Role.SENIOR_PRACTITIONER,
    "psychologist": Role.PSYCHOLOGIST,
    "manager": Role.MANAGER,
}


def _spread(users_by_team: dict[int, list[User]]) -> list[User]:
    """One user of each team in turn, so that a few users cover many teams."""
    rounds = zip_longest(*users_by_team.values())
    return [u for row in rounds for u in row if u is not None]


def _candidates(role: str, prefix: str) -> list[User]:
    rows = (
        Membership.objects.approved()
        .filter(role=role, user__username__startswith=prefix, user__is_active=True)
        .select_related("user")
        .order_by("team__code", "user__username")
    )
    by_team: dict[int, list[User]] = {}
    seen = set()
    for m in rows:
        if m.user_id not in seen:
            seen.add(m.user_id)
            by_team.setdefault(m.team_id, []).append(m.user)
    return _spread(by_team)


class Command(BaseCommand):
    help = "Pick generated users for the load test, set their password, write their pages."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="the JSON file to write")
        parser.add_argument("--password", default="loadtest-password-1")
        parser.add_argument("--prefix", default="gen", help="usernames to take (gen)")
        for key, default in [
            ("case-managers", 60),
            ("seniors", 20),
            ("psychologists", 10),
            ("managers", 10),
        ]:
            parser.add_argument(f"--{key}", type=int, default=default)

    def handle(self, *args, **opts):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("loadtest_users refuses to run under production settings.")
        wanted = {
            "case_manager": opts["case_managers"],
            "senior_practitioner": opts["seniors"],
            "psychologist": opts["psychologists"],
            "manager": opts["managers"],
        }
        chosen = []
        for key, role in ROLES.items():
            picked = []
            for user in _candidates(role, opts["prefix"]):
                if len(picked) >= wanted[key]:
                    break
                entry = self.entry(key, user)
                if entry is not None:
                    picked.append(entry)
            if wanted[key] and not picked:
                raise CommandError(f"No generated {key} with cases in scope: run generate_data.")
            chosen.extend(picked)
        pks = [entry.pop("pk") for entry in chosen]
        User.objects.filter(pk__in=pks).update(password=make_password(opts["password"]))
        common = {
            "login": reverse("login"),
            "home": reverse("home"),
            "case_list": reverse("case_list"),
            "floor": reverse("notification_preferences"),
            "waiting_list": reverse("referrals:waiting_list"),
            "referral_queue": reverse("referrals:queue"),
            "supervision": reverse("supervision:index"),
            "dashboard": reverse("monitoring:dashboard"),
            "profile": reverse("monitoring:profile"),
            "fidelity": reverse("monitoring:fidelity"),
            "trends": reverse("monitoring:trends"),
        }
        data = {"password": opts["password"], "urls": common, "users": chosen}
        with open(opts["out"], "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
        counts = ", ".join(f"{sum(u['role'] == k for u in chosen)} {k}" for k in ROLES)
        self.stdout.write(f"Load test users: {counts}; written to {opts['out']}")

    def entry(self, key: str, user: User) -> dict | None:
        """The user's pages, or None when nothing active is in their scope."""
        entry = {"pk": user.pk, "role": key, "login": user.username}
        if key == "manager":
            return entry  # the dashboard and monitoring pages of their own teams
        scope = Case.objects.filter(access_for(user).case_scope(), status=CaseStatus.ACTIVE)
        if key == "case_manager":
            scope = scope.filter(case_manager=user)
        cases = list(scope.order_by("pk").values_list("pk", flat=True)[:PAGES_PER_USER])
        if not cases:
            return None
        entry["cases"] = [reverse("case_detail", args=[pk]) for pk in cases]
        if key in ("senior_practitioner", "psychologist"):
            meetings = (
                Meeting.objects.filter(case__in=scope)
                .order_by("case_id", "pk")
                .values_list("pk", "case_id")[:PAGES_PER_USER]
            )
            if not meetings:
                return None
            entry["meetings"] = [reverse("formulation:meeting", args=[m]) for m, _c in meetings]
            entry["timelines"] = [reverse("formulation:timeline", args=[c]) for _m, c in meetings]
        return entry
