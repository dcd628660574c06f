"""Demo data for `make run`: teams, the five demo logins and a dozen children.

Idempotent: running it again updates users and teams and adds nothing twice. Refuses to
run under production settings.
"""

from __future__ import annotations

import datetime as dt
import os
from importlib import import_module
from types import SimpleNamespace

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from ecm import services
from ecm.dates import add_years
from ecm.models import Case, Child, Membership, Role, Team, User

DEFAULT_PASSWORD = "ecm-demo-password"  # noqa: S105 - documented demo password

TEAMS = [
    # code, name, kind, central team code
    ("central-ecm", "Central ECM Team", Team.Kind.CENTRAL, None),
    ("northgate-yot", "Northgate YOT", Team.Kind.YOT, "central-ecm"),
    ("riverside-yot", "Riverside YOT", Team.Kind.YOT, "central-ecm"),
]

USERS = [
    # username, first, last, job title, [(team code, role)], superuser
    (
        "casemanager",
        "Cerys",
        "Morgan",
        "YOT case manager",
        [("northgate-yot", Role.CASE_MANAGER)],
        False,
    ),
    (
        "senior",
        "Dafydd",
        "Price",
        "Senior practitioner (ECM champion)",
        [("central-ecm", Role.SENIOR_PRACTITIONER), ("northgate-yot", Role.SENIOR_PRACTITIONER)],
        False,
    ),
    (
        "psychologist",
        "Dr Anwen",
        "Hughes",
        "Clinical psychologist",
        [("central-ecm", Role.PSYCHOLOGIST)],
        False,
    ),
    (
        "manager",
        "Gareth",
        "Lloyd",
        "YOT operational manager",
        [("northgate-yot", Role.MANAGER), ("central-ecm", Role.MANAGER)],
        False,
    ),
    ("admin", "Sam", "Evans", "System administrator", [("central-ecm", Role.ADMIN)], True),
    ("jdavies", "Jac", "Davies", "YOT case manager", [("northgate-yot", Role.CASE_MANAGER)], False),
    (
        "riverside",
        "Rhian",
        "Thomas",
        "YOT case manager",
        [("riverside-yot", Role.CASE_MANAGER)],
        False,
    ),
    (
        "riversidemanager",
        "Owen",
        "Jenkins",
        "YOT operational manager",
        [("riverside-yot", Role.MANAGER)],
        False,
    ),
    # Approves erasures (the second person after a manager) and places legal holds; sees no
    # child's record (issue 20).
    (
        "dpo",
        "Nerys",
        "Pugh",
        "Data protection officer",
        [("northgate-yot", Role.DPO), ("riverside-yot", Role.DPO)],
        False,
    ),
]

# yot ref, first, last, sex, ethnicity, age (years), team, case manager, path, days open.
# The path is where each app's demo module (e.g. referrals/demo.py) takes the case.
CHILDREN = [
    (
        "NG-1001",
        "Tyler",
        "Rees",
        "male",
        "white_british",
        15,
        "northgate-yot",
        "casemanager",
        "active",
        240,
    ),
    (
        "NG-1002",
        "Kayla",
        "Bevan",
        "female",
        "mixed_white_black_caribbean",
        14,
        "northgate-yot",
        "casemanager",
        "preparation",
        45,
    ),
    (
        "NG-1003",
        "Jayden",
        "Powell",
        "male",
        "white_british",
        16,
        "northgate-yot",
        "casemanager",
        "referred",
        12,
    ),
    (
        "NG-1004",
        "Ellie",
        "Watkins",
        "female",
        "white_british",
        13,
        "northgate-yot",
        "casemanager",
        "potential",
        5,
    ),
    (
        "NG-1005",
        "Mason",
        "Ali",
        "male",
        "asian_pakistani",
        17,
        "northgate-yot",
        "casemanager",
        "waiting",
        30,
    ),
    (
        "NG-1006",
        "Liam",
        "Pritchard",
        "male",
        "white_irish",
        16,
        "northgate-yot",
        "casemanager",
        "closed",
        400,
    ),
    (
        "NG-1007",
        "Ruby",
        "Jones",
        "female",
        "black_african",
        15,
        "northgate-yot",
        "jdavies",
        "active",
        180,
    ),
    (
        "NG-1008",
        "Callum",
        "Edwards",
        "male",
        "white_gypsy_traveller",
        14,
        "northgate-yot",
        "jdavies",
        "not_met",
        60,
    ),
    (
        "NG-1009",
        "Nathan",
        "Griffiths",
        "male",
        "white_british",
        17,
        "northgate-yot",
        "casemanager",
        "reopened",
        500,
    ),
    (
        "NG-1010",
        "Seren",
        "Lewis",
        "female",
        "white_british",
        14,
        "northgate-yot",
        "casemanager",
        "ready",
        8,
    ),
    (
        "NG-1011",
        "Kai",
        "Roberts",
        "male",
        "mixed_white_black_african",
        15,
        "northgate-yot",
        "jdavies",
        "awaiting_consent",
        25,
    ),
    (
        "NG-1012",
        "Leah",
        "Hopkins",
        "female",
        "white_british",
        16,
        "northgate-yot",
        "casemanager",
        "returned",
        20,
    ),
    (
        "NG-1013",
        "Tyler",
        "Bowen",
        "male",
        "white_british",
        15,
        "northgate-yot",
        "casemanager",
        "not_carried_forward",
        45,
    ),
    (
        "NG-1014",
        "Megan",
        "Jones",
        "female",
        "white_british",
        15,
        "northgate-yot",
        "casemanager",
        "consent_refused",
        30,
    ),
    (
        "NG-1015",
        "Chloe",
        "Rees",
        "female",
        "white_british",
        17,
        "northgate-yot",
        "jdavies",
        "voluntary",
        330,
    ),
    # Not carried forward nine years ago and now 26: due for retention review (issue 20).
    (
        "NG-1016",
        "Carwyn",
        "Bowen",
        "male",
        "white_british",
        26,
        "northgate-yot",
        "casemanager",
        "not_carried_forward",
        3350,
    ),
    (
        "RS-2001",
        "Aaliyah",
        "Khan",
        "female",
        "asian_bangladeshi",
        15,
        "riverside-yot",
        "riverside",
        "active",
        150,
    ),
    (
        "RS-2002",
        "Josh",
        "Phillips",
        "male",
        "white_british",
        16,
        "riverside-yot",
        "riverside",
        "referred",
        20,
    ),
    (
        "RS-2003",
        "Dylan",
        "Morris",
        "male",
        "mixed_other",
        13,
        "riverside-yot",
        "riverside",
        "potential",
        3,
    ),
    (
        "RS-2004",
        "Macy",
        "Ahmed",
        "female",
        "other_arab",
        16,
        "riverside-yot",
        "riverside",
        "not_viable",
        40,
    ),
    (
        "RS-2005",
        "Ethan",
        "Price",
        "male",
        "white_british",
        15,
        "riverside-yot",
        "riverside",
        "waiting",
        35,
    ),
]


#: Days ago an episode "not carried forward" ended (10 days ago if not listed).
ENDED_DAYS_AGO = {"NG-1016": 3300}


def demo_logins() -> str:
    """One line per demo login: username and roles in teams (printed by `make run`)."""
    team_names = {code: name for code, name, _kind, _central in TEAMS}
    lines = []
    for username, _first, _last, _title, roles, superuser in USERS:
        teams_by_role: dict[str, list[str]] = {}
        for code, role in roles:
            teams_by_role.setdefault(Role(role).label, []).append(team_names[code])
        where = "; ".join(f"{role}, {' + '.join(teams)}" for role, teams in teams_by_role.items())
        extra = " · Django admin at /admin/" if superuser else ""
        lines.append(f"    {username:<17} {where}{extra}")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Load demo teams, users and children (idempotent; refused in production)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--logins", action="store_true", help="print the demo logins and their roles, only"
        )

    def handle(self, *args, **options):
        if options["logins"]:
            self.stdout.write(demo_logins())
            return
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("seed_demo refuses to run under production settings.")
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        with transaction.atomic():
            teams = self._teams()
            users = self._users(teams, password)
            created = self._children(teams, users)
        # What is due today, so the demo's notification centre is not empty until beat's
        # first sweep (idempotent: a second seed makes nothing new).
        from ecm.reminders import sweep
        from ecm.retention import retention_find_due

        retention_find_due()  # the children due for retention review (idempotent)
        sweep()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(teams)} teams, {len(users)} users, "
                f"{created} children added ({Child.objects.count()} in all)."
            )
        )

    def _teams(self) -> dict[str, Team]:
        teams: dict[str, Team] = {}
        for code, name, kind, central in TEAMS:
            team, _ = Team.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "kind": kind,
                    "central_team": teams.get(central) if central else None,
                },
            )
            teams[code] = team
        return teams

    def _users(self, teams, password) -> dict[str, User]:
        users: dict[str, User] = {}
        for username, first, last, title, roles, superuser in USERS:
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "job_title": title,
                    "email": f"{username}@ecm.invalid",
                    "is_staff": superuser,
                    "is_superuser": superuser,
                    "is_active": True,
                },
            )
            user.set_password(password)
            user.save(update_fields=["password"])
            for code, role in roles:
                Membership.objects.get_or_create(
                    user=user,
                    team=teams[code],
                    role=role,
                    defaults={"approved_at": timezone.now()},  # approved by the system
                )
            users[username] = user
        return users

    def _children(self, teams, users) -> int:
        """Register each demo child with a potential case; then every app with a `demo`
        module takes the new cases along their paths (referral, consent, formulation...)."""
        today = timezone.localdate()
        new_cases: dict[str, Case] = {}
        paths: dict[str, str] = {}
        for ref, first, last, sex, ethnicity, age, code, cm, path, days in CHILDREN:
            paths[ref] = path
            if Child.objects.filter(yot_reference=ref).exists():
                continue
            team = teams[code]
            manager = users[cm]
            offset = sum(map(ord, ref)) % 200 + 20
            new_cases[ref] = services.child_register(
                actor=manager,
                team=team,
                case_manager=manager,
                opened_on=today - dt.timedelta(days=days),
                first_name=first,
                last_name=last,
                date_of_birth=add_years(today, -age) - dt.timedelta(days=offset),
                gender=sex,
                ethnicity=ethnicity,
                yot_reference=ref,
            )
        context = SimpleNamespace(teams=teams, users=users, new_cases=new_cases, paths=paths)
        for app_config in apps.get_app_configs():
            if app_config.name != "ecm" and module_has_submodule(app_config.module, "demo"):
                import_module(f"{app_config.name}.demo").seed(context)
        for ref, case in new_cases.items():
            if paths[ref] == "not_carried_forward":
                # Potential, then not carried forward (Appendix 1's other outcome).
                services.case_not_carried_forward(
                    actor=case.case_manager,
                    case=case,
                    reason="needs_met_elsewhere",
                    detail="CAMHS are seeing him weekly; the YOT keeps ECM for later if needed.",
                    on=today - dt.timedelta(days=ENDED_DAYS_AGO.get(ref, 10)),
                )
        return len(new_cases)
