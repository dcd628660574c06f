import datetime as dt

import factory
from django.utils import timezone

from ecm.models import Case, Child, Membership, Role, Team, User


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n} YOT")
    code = factory.Sequence(lambda n: f"team-{n}")
    kind = Team.Kind.YOT


STAFF_FIRST_NAMES = ["Emyr", "Sian", "Helen", "Owain", "Carys", "Daniel", "Bethan", "Priya"]
STAFF_LAST_NAMES = ["Llewellyn", "Parry", "Howells", "Jones", "Cadwaladr", "Mahmood", "Fisher"]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    # Fixed lists without apostrophes, like the children's below: Faker's "O'Sullivan" is
    # written "O&#x27;Sullivan" in HTML, and a test looking for the name as typed failed at
    # random. test_names_with_apostrophes_are_escaped covers such names on purpose.
    first_name = factory.Iterator(STAFF_FIRST_NAMES)
    last_name = factory.Iterator(STAFF_LAST_NAMES)
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct-horse-battery")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Role.CASE_MANAGER
    # In force by default (approved by the system); pass approved_at=None for a pending one.
    approved_at = factory.LazyFunction(timezone.now)


def member(team: Team, role: str, **kwargs) -> User:
    user = UserFactory(**kwargs)
    MembershipFactory(user=user, team=team, role=role)
    return user


# Fixed name lists (no apostrophes), so tests can look for a name in HTML as it is typed.
FIRST_NAMES = [
    "Tyler",
    "Kayla",
    "Jayden",
    "Ellie",
    "Mason",
    "Seren",
    "Kai",
    "Leah",
    "Rhys",
    "Ffion",
    "Callum",
    "Aaliyah",
    "Dylan",
    "Macy",
    "Ethan",
    "Nia",
    "Osian",
    "Ruby",
]
LAST_NAMES = [
    "Rees",
    "Bevan",
    "Powell",
    "Watkins",
    "Ali",
    "Lewis",
    "Roberts",
    "Hopkins",
    "Jenkins",
    "Morgan",
    "Khan",
    "Phillips",
    "Morris",
    "Ahmed",
    "Price",
    "Evans",
    "Thomas",
    "Hughes",
    "Davies",
    "Williams",
    "Griffiths",
    "Edwards",
    "Pritchard",
]


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    first_name = factory.Iterator(FIRST_NAMES)
    last_name = factory.Iterator(LAST_NAMES)
    date_of_birth = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=15 * 365))
    gender = "male"
    ethnicity = "white_british"
    yot_reference = factory.Sequence(lambda n: f"YR-{n:05d}")


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    child = factory.SubFactory(ChildFactory)
    team = factory.SubFactory(TeamFactory)
    status = "active"
    opened_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=90))
    # The read model the carry-forward decision stores (ecm.services.case_formulation_decide):
    # a carried-forward episode starts ECM on its opening. Held meetings: `held_meeting`.
    ecm_started_on = factory.LazyAttribute(
        lambda c: (
            c.opened_on if getattr(c, "formulation_decision", "") == "carried_forward" else None
        )
    )


def held_meeting(**kw):
    """A meeting that took place (a formulation meeting unless `kind` says otherwise),
    created directly, with what the meeting-held service also stores: the case's ECM start
    (`Case.ecm_started_on`). The case instance passed in is refreshed, so that a test saving
    it afterwards keeps the start."""
    from formulation.meeting.services import cases_store_ecm_start
    from formulation.models import Meeting

    kw.setdefault("status", Meeting.Status.HELD)
    meeting = Meeting.objects.create(**kw)
    cases_store_ecm_start(Case.objects.filter(pk=meeting.case_id))
    meeting.case.refresh_from_db(fields=["ecm_started_on"])
    return meeting


def assert_ecm_start_stored(cases) -> None:
    """Each case's stored ECM start (`Case.ecm_started_on`) is what its meetings and
    decision give (`ecm_start_from_meetings`): the read model agrees with its source."""
    from formulation.meeting.selectors import ecm_start_from_meetings

    rows = cases.annotate(computed=ecm_start_from_meetings()).values_list(
        "pk", "ecm_started_on", "computed"
    )
    wrong = [(pk, stored, computed) for pk, stored, computed in rows if stored != computed]
    assert not wrong, wrong
    assert rows, "no cases to compare"
