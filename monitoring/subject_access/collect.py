"""Gathering everything held about a child, and finding the third-party information in it.

`flag_third_party(child)` lists what a manager must review before release (family members,
partner professionals, what others shared, sensitive timeline events). `gather(...)` reads
every record of the child into plain sections (title, records of labelled fields) that the
HTML and the JSON of the bundle are both written from, leaving out what was withheld.

Records are read field by field from the models, so a field added to a model later is in
the next bundle without a change here; only bookkeeping (versions, claim tokens, e-mail
delivery) and the drawings (SVG, which would repeat withheld names) are left out.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ecm.models import AuditEvent, Case, Child, ChildCorrection, User
from formulation.models import (
    Agency,
    Circulation,
    DevelopmentalMap,
    FamilyMember,
    Invitation,
    Meeting,
    Partnership,
    Recommendation,
    Report,
    ReportComment,
    ReportVersion,
    SummaryItem,
    TimelineEvent,
    TRMPlacement,
)
from referrals.models import (
    CheckResult,
    Consent,
    EligibilityCheck,
    Offence,
    Referral,
    ReferralEvent,
)
from reviews.models import (
    Action,
    Closure,
    Contact,
    MissedAppointmentDecision,
    OutcomeRating,
    OutcomeSurvey,
    RecommendationProgress,
    Review,
    ReviewRecommendation,
    RiskRating,
    Transition,
    TRMStageRecord,
)
from supervision.selectors import decision_summaries_for_case

from .models import RedactionItem

#: Shown in place of a withheld field or a link to a withheld record.
WITHHELD = gettext_noop("[withheld: see the list of withheld information]")

#: Shown in place of a withheld person's name where it appears elsewhere (e.g. in free text).
WITHHELD_NAME = gettext_noop("[name withheld]")

#: Bookkeeping and drawings: never part of a bundle.
SKIP = frozenset(
    {
        "version",
        "revision",
        "claim_token",
        "claimed_at",
        "send_attempts",
        "delivery",
        "delivery_error",
        "sent_at",
        "timeline_svg",
        "timeline_shared_svg",
        "genogram_svg",
        "assetplus_file",
        "assetplus_content_type",
        "date_of_birth_corrected_at",
    }
)

#: What a decision to withhold an item leaves out: the whole record, or some of its fields.
OMIT_RECORD = {
    RedactionItem.Kind.FAMILY_MEMBER: FamilyMember,
    RedactionItem.Kind.PROFESSIONAL: Invitation,
    RedactionItem.Kind.CIRCULATION: Circulation,
    RedactionItem.Kind.TIMELINE_EVENT: TimelineEvent,
}
OMIT_FIELDS = {
    RedactionItem.Kind.WRITTEN: (Invitation, ("written_information", "written_received_at")),
    RedactionItem.Kind.MEETING_OTHERS: (Meeting, ("minutes_additional",)),
    RedactionItem.Kind.REFERRAL_UPLOAD: (
        Referral,
        ("assetplus_name", "assetplus_size", "assetplus_uploaded_at"),
    ),
    RedactionItem.Kind.RECOMMENDATION_OWNER: (Recommendation, ("owner_name",)),
    RedactionItem.Kind.REVIEW_RECOMMENDATION_OWNER: (ReviewRecommendation, ("owner_name",)),
    RedactionItem.Kind.ACTION_OWNER: (Action, ("owner_name",)),
    RedactionItem.Kind.REVIEW_OTHERS: (Review, ("present_others", "apologies")),
}
#: The name a withheld item gives someone, taken out wherever else it appears in the bundle
#: (free text, the names frozen in a report version's recommendations).
NAME_FIELD = {
    RedactionItem.Kind.FAMILY_MEMBER: (FamilyMember, "name"),
    RedactionItem.Kind.PROFESSIONAL: (Invitation, "name"),
    RedactionItem.Kind.CIRCULATION: (Circulation, "recipient_name"),
    RedactionItem.Kind.RECOMMENDATION_OWNER: (Recommendation, "owner_name"),
    RedactionItem.Kind.REVIEW_RECOMMENDATION_OWNER: (ReviewRecommendation, "owner_name"),
    RedactionItem.Kind.ACTION_OWNER: (Action, "owner_name"),
}
#: Shorter names are not looked for elsewhere (they would match ordinary words).
MIN_NAME_LENGTH = 4


def _key(model: type[models.Model], pk) -> tuple[str, int]:
    return (model._meta.label_lower, int(pk))


# --- flagging ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    kind: str
    object_id: int
    where: str
    label: str
    why: str


def flag_third_party(child: Child) -> list[Flag]:
    """Third-party information in the child's record, for the manager to review: a constant
    number of queries however much there is."""
    cases = {c.pk: c.reference for c in Case.objects.filter(child=child)}
    K = RedactionItem.Kind
    flags: list[Flag] = []
    for m in FamilyMember.objects.filter(child=child).exclude(
        relationship=FamilyMember.Relationship.SELF
    ):
        flags.append(
            Flag(
                K.FAMILY_MEMBER,
                m.pk,
                _("Genogram"),
                f"{m.name} ({m.get_relationship_display()})",
                _("Names a member of the child's family"),
            )
        )
    invitations = Invitation.objects.filter(meeting__case__child=child).select_related("meeting")
    for inv in invitations.order_by("meeting__starts_at", "pk"):
        where = f"{cases[inv.meeting.case_id]} · {timezone.localdate(inv.meeting.starts_at)}"
        if inv.user_id is None or inv.agency != Agency.YOT:
            flags.append(
                Flag(
                    K.PROFESSIONAL,
                    inv.pk,
                    where,
                    f"{inv.name} ({inv.get_agency_display()})",
                    _("Names a partner professional"),
                )
            )
        if inv.written_information.strip():
            flags.append(
                Flag(
                    K.WRITTEN,
                    inv.pk,
                    where,
                    _("Written information from %(who)s") % {"who": inv.name},
                    _("Information shared by someone else"),
                )
            )
    meetings = Meeting.objects.filter(case__child=child).exclude(minutes_additional="")
    for meeting in meetings.order_by("starts_at"):
        flags.append(
            Flag(
                K.MEETING_OTHERS,
                meeting.pk,
                f"{cases[meeting.case_id]} · {timezone.localdate(meeting.starts_at)}",
                _("Minutes: additional information from others"),
                _("Information shared by someone else"),
            )
        )
    circulations = Circulation.objects.filter(report__case__child=child).select_related("report")
    for c in circulations.order_by("sent_on", "pk"):
        flags.append(
            Flag(
                K.CIRCULATION,
                c.pk,
                cases[c.report.case_id],
                f"{c.recipient_name} ({c.get_agency_display()}), {c.sent_on}",
                _("Names a partner professional"),
            )
        )
    # The timeline has its own flag for sensitive events; an event someone else shared is
    # third-party information too.
    events = TimelineEvent.objects.filter(child=child).filter(Q(sensitive=True) | ~Q(shared_by=""))
    for e in events.order_by("start_date", "pk"):
        why = [_("Marked sensitive")] if e.sensitive else []
        if e.shared_by:
            why.append(_("Shared by %(who)s") % {"who": e.shared_by})
        flags.append(
            Flag(
                K.TIMELINE_EVENT,
                e.pk,
                _("Timeline"),
                f"{e.date_label}: {e.title}",
                "; ".join(why),
            )
        )
    for kind, model, path in (
        (K.RECOMMENDATION_OWNER, Recommendation, "case"),
        (K.REVIEW_RECOMMENDATION_OWNER, ReviewRecommendation, "review__case"),
        (K.ACTION_OWNER, Action, "case"),
    ):
        owned = model.objects.filter(**{f"{path}__child": child}).exclude(owner_name="")
        for row in owned.values("pk", "owner_name", "owner_agency", f"{path}_id").order_by("pk"):
            flags.append(
                Flag(
                    kind,
                    row["pk"],
                    cases[row[f"{path}_id"]],
                    row["owner_name"],
                    _("Names a partner professional"),
                )
            )
    reviews = Review.objects.filter(case__child=child).filter(
        ~Q(present_others="") | ~Q(apologies="")
    )
    for review in reviews.order_by("held_on", "pk"):
        names = ", ".join(n for n in (review.present_others, review.apologies) if n)
        flags.append(
            Flag(
                K.REVIEW_OTHERS,
                review.pk,
                f"{cases[review.case_id]} · {review.held_on}",
                names,
                _("Names partner professionals"),
            )
        )
    uploads = Referral.objects.filter(case__child=child).exclude(assetplus_file="")
    for r in uploads.order_by("pk"):
        flags.append(
            Flag(
                K.REFERRAL_UPLOAD,
                r.pk,
                cases[r.case_id],
                r.assetplus_name or _("AssetPlus assessment"),
                _("An uploaded document may hold information about or from others"),
            )
        )
    return flags


# --- reading records ---------------------------------------------------------------------


@dataclass
class Part:
    """One kind of record: its key in the JSON, its heading in the HTML, its records."""

    key: str
    title: str
    records: list[dict] = field(default_factory=list)


@dataclass
class Withholding:
    records: set[tuple[str, int]] = field(default_factory=set)
    fields: dict[tuple[str, int], set[str]] = field(default_factory=dict)
    listed: list[dict] = field(default_factory=list)
    names: re.Pattern | None = None

    @classmethod
    def from_items(cls, items: Iterable[RedactionItem]) -> Withholding:
        w = cls()
        withheld = [i for i in items if i.withheld]
        named: set[str] = set()
        for kind, (model, name_field) in NAME_FIELD.items():
            ids = [i.object_id for i in withheld if i.kind == kind]
            if ids:
                rows = model._default_manager.filter(pk__in=ids).values_list(name_field, flat=True)
                named |= {n.strip() for n in rows if len(n.strip()) >= MIN_NAME_LENGTH}
        if named:
            longest_first = sorted(named, key=len, reverse=True)
            w.names = re.compile("|".join(re.escape(n) for n in longest_first), re.IGNORECASE)
        for n, item in enumerate(withheld, start=1):
            if item.kind in OMIT_RECORD:
                w.records.add(_key(OMIT_RECORD[item.kind], item.object_id))
            else:
                model, names = OMIT_FIELDS[item.kind]
                w.fields.setdefault(_key(model, item.object_id), set()).update(names)
            w.listed.append(
                {
                    "reference": f"W{n}",
                    "kind": str(item.get_kind_display()),
                    "where": item.where,
                    "reason": item.reason,
                }
            )
        return w

    def omits(self, obj: models.Model) -> bool:
        return _key(type(obj), obj.pk) in self.records

    def scrub(self, value):
        """`value` with every withheld name taken out (in text, lists and dicts)."""
        if self.names is None:
            return value
        if isinstance(value, str):
            return self.names.sub(_(WITHHELD_NAME), value)
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        return value


class Reader:
    """Turns model rows into labelled fields, naming linked records (people by name)."""

    def __init__(self, withholding: Withholding):
        self.w = withholding
        self._names: dict[tuple[str, int], str] = {}

    def _linked(self, model: type[models.Model], pk) -> str:
        key = _key(model, pk)
        if key in self.w.records:
            return _(WITHHELD)
        if key not in self._names:
            obj = model._default_manager.filter(pk=pk).first()
            if obj is None:
                name = ""
            elif isinstance(obj, User):
                name = obj.get_full_name() or obj.get_username()
            else:
                name = str(obj)
            self._names[key] = name
        return self._names[key]

    @staticmethod
    def _plain(value):
        if isinstance(value, dt.datetime):
            return timezone.localtime(value).isoformat(timespec="minutes")
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, uuid.UUID | Decimal):
            return str(value)
        return value

    def record(self, obj: models.Model, title: str, *, skip: Iterable[str] = ()) -> dict:
        skip = SKIP | set(skip)
        blanked = self.w.fields.get(_key(type(obj), obj.pk), set())
        out = []
        for f in obj._meta.concrete_fields:
            if f.name in skip:
                continue
            if f.name in blanked:
                value = _(WITHHELD)
            elif f.is_relation:
                pk = getattr(obj, f.attname)
                value = None if pk is None else self._linked(f.related_model, pk)
            elif f.choices and getattr(obj, f.attname) not in (None, ""):
                raw = getattr(obj, f.attname)
                value = str(dict(f.flatchoices).get(raw, raw))
            else:
                value = self._plain(getattr(obj, f.attname))
            value = self.w.scrub(value)
            out.append({"name": f.name, "label": capfirst(str(f.verbose_name)), "value": value})
        for m2m in obj._meta.many_to_many:
            if m2m.name in skip:
                continue
            names = [self.w.scrub(self._linked(m2m.related_model, pk)) for pk in _m2m_pks(obj, m2m)]
            out.append({"name": m2m.name, "label": capfirst(str(m2m.verbose_name)), "value": names})
        return {"title": self.w.scrub(title), "fields": out}

    def part(
        self,
        key: str,
        title: str,
        rows: Iterable[models.Model],
        heading: Callable[[models.Model], str],
        *,
        skip: Iterable[str] = (),
    ) -> Part:
        records = [self.record(r, heading(r), skip=skip) for r in rows if not self.w.omits(r)]
        return Part(key, title, records)


def _m2m_pks(obj, m2m) -> list[int]:
    return list(getattr(obj, m2m.name).values_list("pk", flat=True))


# --- the whole record --------------------------------------------------------------------


@dataclass
class Gathered:
    child: dict
    episodes: list[dict]
    parts: list[Part]
    uploads: list[tuple[str, str]]  # (path in the zip, name in private storage)
    withheld: list[dict]


PARENTS = ("case", "child")


def _episode(reader: Reader, case: Case, uploads: list) -> dict:
    """Every record of one episode, in the order of the work."""
    w = reader.w
    parts: list[Part] = [
        Part("case", _("The episode"), [reader.record(case, case.reference, skip=PARENTS)])
    ]
    referral = Referral.objects.filter(case=case).first()
    if referral is not None:
        record = reader.record(referral, _("Referral"), skip=PARENTS)
        blanked = w.fields.get(_key(Referral, referral.pk), set())
        if referral.assetplus_file and "assetplus_name" not in blanked:
            name = referral.assetplus_name or "assetplus"
            path = f"files/{case.reference}-{referral.pk}-{_safe(name)}"
            uploads.append((path, referral.assetplus_file.name))
            record["fields"].append(
                {"name": "upload_in_bundle", "label": _("Upload (in this bundle)"), "value": path}
            )
        parts.append(Part("referral", _("Referral"), [record]))
        events = ReferralEvent.objects.filter(referral=referral).order_by("at", "pk")
        parts.append(
            reader.part("referral_history", _("Referral history"), events, str, skip=["referral"])
        )
        checks = EligibilityCheck.objects.filter(referral=referral).order_by("checked_at")
        parts.append(
            reader.part(
                "eligibility_checks", _("Eligibility checks"), checks, str, skip=["referral"]
            )
        )
        results = CheckResult.objects.filter(check_record__referral=referral).order_by("pk")
        parts.append(
            reader.part(
                "eligibility_results",
                _("Eligibility criteria results"),
                results,
                lambda r: str(r.check_record),
                skip=["check_record"],
            )
        )
    parts.append(
        reader.part(
            "offences",
            _("Offences"),
            Offence.objects.filter(case=case).order_by("date"),
            str,
            skip=PARENTS,
        )
    )
    consents = Consent.objects.filter(case=case).order_by("date", "pk")
    parts.append(
        reader.part(
            "consents",
            _("Consent"),
            consents,
            lambda c: f"{c.get_kind_display()} {c.date}",
            skip=PARENTS,
        )
    )
    meetings = list(Meeting.objects.filter(case=case).order_by("starts_at"))

    def when(meeting_id):
        m = next(m for m in meetings if m.pk == meeting_id)
        return f"{m.get_kind_display()} {timezone.localdate(m.starts_at)}"

    parts.append(
        reader.part("meetings", _("Meetings"), meetings, lambda m: when(m.pk), skip=PARENTS)
    )
    rows = Invitation.objects.filter(meeting__case=case).order_by("meeting__starts_at", "pk")
    parts.append(
        reader.part(
            "meeting_attendees",
            _("Invitations, attendance and written information"),
            rows,
            lambda i: f"{when(i.meeting_id)}: {i.name}",
            skip=["meeting", "email", "user"],
        )
    )
    for key, title, model in (
        ("developmental_maps", _("Developmental map"), DevelopmentalMap),
        ("trm_placements", _("Trauma Recovery Model placement"), TRMPlacement),
    ):
        rows = model.objects.filter(meeting__case=case).order_by("pk")
        parts.append(reader.part(key, title, rows, lambda r: when(r.meeting_id), skip=["meeting"]))
    recs = Recommendation.objects.filter(case=case).order_by("sequence", "pk")
    parts.append(
        reader.part(
            "recommendations",
            _("Recommendations"),
            recs,
            lambda r: f"{r.sequence}",
            skip=["case", "meeting"],
        )
    )
    report = Report.objects.filter(case=case).first()
    if report is not None:
        parts.append(
            Part(
                "report",
                _("Formulation report (as it stands)"),
                [reader.record(report, _("Version %(n)s") % {"n": report.number}, skip=PARENTS)],
            )
        )
        versions = ReportVersion.objects.filter(report=report).order_by("number")
        parts.append(
            reader.part(
                "report_versions",
                _("Formulation report: every final version"),
                versions,
                lambda v: _("Version %(n)s") % {"n": v.number},
                skip=["report"],
            )
        )
        comments = ReportComment.objects.filter(report=report).order_by("created_at", "pk")
        parts.append(
            reader.part(
                "report_comments",
                _("Comments on the report drafts"),
                comments,
                lambda c: str(c.created_at.date()),
                skip=["report"],
            )
        )
        circ = Circulation.objects.filter(report=report).order_by("sent_on", "pk")
        parts.append(
            reader.part(
                "circulations",
                _("Who the report was sent to"),
                circ,
                lambda c: str(c.sent_on),
                skip=["report"],
            )
        )
    reviews = Review.objects.filter(case=case).order_by("held_on", "pk")
    parts.append(
        reader.part("reviews", _("Reviews"), reviews, lambda r: str(r.held_on), skip=PARENTS)
    )
    for key, title, qs, heading, skip in (
        (
            "review_progress",
            _("Progress on each recommendation"),
            RecommendationProgress.objects.filter(review__case=case)
            .select_related("review")
            .order_by("review__held_on", "pk"),
            lambda r: str(r.review.held_on),
            ["review"],
        ),
        (
            "review_recommendations",
            _("Recommendations agreed at reviews"),
            ReviewRecommendation.objects.filter(review__case=case)
            .select_related("review")
            .order_by("review__held_on", "pk"),
            lambda r: str(r.review.held_on),
            ["review"],
        ),
        (
            "trm_stage_records",
            _("Trauma Recovery Model stage over time"),
            TRMStageRecord.objects.filter(case=case).order_by("recorded_on"),
            lambda r: str(r.recorded_on),
            PARENTS,
        ),
        (
            "actions",
            _("Actions"),
            Action.objects.filter(case=case).order_by("due_on", "pk"),
            lambda r: str(r.due_on),
            PARENTS,
        ),
        (
            "contacts",
            _("Contacts"),
            Contact.objects.filter(case=case).order_by("date", "pk"),
            lambda r: str(r.date),
            PARENTS,
        ),
        (
            "missed_appointment_decisions",
            _("Missed appointments: decisions"),
            MissedAppointmentDecision.objects.filter(case=case).order_by("decided_on"),
            lambda r: str(r.decided_on),
            PARENTS,
        ),
        (
            "risk_ratings",
            _("Risk ratings"),
            RiskRating.objects.filter(case=case).order_by("pk"),
            lambda r: str(r.recorded_on),
            PARENTS,
        ),
        (
            "outcome_surveys",
            _("Outcome surveys"),
            OutcomeSurvey.objects.filter(case=case).order_by("completed_on"),
            lambda r: str(r.completed_on),
            PARENTS,
        ),
        (
            "outcome_ratings",
            _("Outcome ratings"),
            OutcomeRating.objects.filter(survey__case=case)
            .select_related("survey")
            .order_by("survey__completed_on", "pk"),
            lambda r: str(r.survey.completed_on),
            ["survey"],
        ),
        (
            "closure",
            _("Closure"),
            Closure.objects.filter(case=case),
            lambda r: str(r.closed_on),
            PARENTS,
        ),
        (
            "transitions",
            _("Transitions"),
            Transition.objects.filter(closure__case=case).order_by("pk"),
            lambda r: r.get_destination_display(),
            ["closure"],
        ),
    ):
        parts.append(reader.part(key, title, qs, heading, skip=skip))
    decisions = [
        {
            "title": str(timezone.localdate(row["session__starts_at"])),
            "fields": [
                {
                    "name": "session_date",
                    "label": _("Supervision session"),
                    "value": Reader._plain(timezone.localdate(row["session__starts_at"])),
                },
                {
                    "name": "psychologist",
                    "label": _("Psychologist"),
                    "value": f"{row['session__psychologist__first_name']} "
                    f"{row['session__psychologist__last_name']}".strip(),
                },
                {
                    "name": "decision_summary",
                    "label": _("Decision summary for the case"),
                    "value": reader.w.scrub(row["decision_summary"]),
                },
            ],
        }
        for row in decision_summaries_for_case(case)
    ]
    parts.append(Part("supervision_decisions", _("Decisions from clinical supervision"), decisions))
    return {
        "reference": case.reference,
        "title": _("Episode %(ref)s (opened %(date)s)")
        % {"ref": case.reference, "date": case.opened_on},
        "parts": parts,
    }


def _safe(name: str) -> str:
    kept = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)
    return kept.strip("._")[:80] or "file"


def gather(
    child: Child, items: Iterable[RedactionItem], progress: Callable[[str], None] | None = None
) -> Gathered:
    """Everything held about `child`, without what `items` withhold. `progress(step)` is
    told as each step starts."""
    step = progress or (lambda text: None)
    withholding = Withholding.from_items(items)
    reader = Reader(withholding)
    step(gettext_noop("The child's details"))
    child_record = reader.record(child, child.full_name)
    uploads: list[tuple[str, str]] = []
    episodes = []
    for case in Case.objects.filter(child=child).order_by("opened_on", "pk"):
        step(gettext_noop("An episode"))
        episodes.append(_episode(reader, case, uploads))
    step(gettext_noop("Genogram, timeline and case summary"))
    corrections = ChildCorrection.objects.filter(child=child).order_by("at", "pk")
    family = FamilyMember.objects.filter(child=child).order_by("pk")
    partnerships = [
        p
        for p in Partnership.objects.filter(child=child).order_by("pk")
        if _key(FamilyMember, p.a_id) not in withholding.records
        and _key(FamilyMember, p.b_id) not in withholding.records
    ]
    # A summary entry whose timeline event is withheld says the same thing: left out too.
    withheld_events = [
        pk for (label, pk) in withholding.records if label == _key(TimelineEvent, 0)[0]
    ]
    sources = TimelineEvent.objects.filter(pk__in=withheld_events).values_list("source_item_id")
    summary = SummaryItem.objects.filter(child=child).exclude(
        pk__in=sources.exclude(source_item=None)
    )
    summary = summary.order_by("kind", "start_date", "pk")
    timeline = TimelineEvent.objects.filter(child=child).order_by("start_date", "pk")
    parts = [
        reader.part(
            "child_corrections",
            _("Corrections of the child's details"),
            corrections,
            lambda c: str(timezone.localdate(c.at)),
            skip=PARENTS,
        ),
        reader.part("genogram", _("Genogram: family members"), family, str, skip=PARENTS),
        reader.part(
            "genogram_partnerships",
            _("Genogram: partnerships"),
            partnerships,
            lambda p: p.get_status_display(),
            skip=PARENTS + ("a", "b"),
        ),
        reader.part(
            "timeline",
            _("Timeline"),
            timeline,
            lambda e: f"{e.date_label}: {e.title}",
            skip=PARENTS,
        ),
        reader.part(
            "case_summary", _("Case information summary"), summary, lambda s: s.title, skip=PARENTS
        ),
    ]
    step(gettext_noop("Who viewed or exported the record"))
    events = _audit_events(child)
    parts.append(
        reader.part(
            "audit_log",
            _("Who viewed, changed or exported the record"),
            events,
            lambda e: str(timezone.localtime(e.at).isoformat(timespec="minutes")),
            skip=("child", "ip_address", "listed", "object_type", "object_id", "actor"),
        )
    )
    return Gathered(child_record, episodes, parts, uploads, withholding.listed)


def _audit_events(child: Child) -> list[AuditEvent]:
    """The child's own audit events, and the listings (case list, search) that showed the
    child among others (`AuditEvent.listed`)."""
    if connection.features.supports_json_field_contains:
        q = Q(child=child) | Q(listed__children__contains=[child.pk])
        return list(AuditEvent.objects.filter(q).order_by("at", "pk"))
    # SQLite (the embedded demo) has no JSON containment: the listings are read here.
    rows = AuditEvent.objects.filter(Q(child=child) | ~Q(listed={})).order_by("at", "pk")
    return [e for e in rows if e.child_id == child.pk or child.pk in e.listed.get("children", [])]


def step_count(child: Child) -> int:
    return 3 + Case.objects.filter(child=child).count()
