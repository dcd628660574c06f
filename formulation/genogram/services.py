"""Writes of the genogram: family members and partnerships."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecm import services as core
from ecm.access import access_for
from ecm.audit import audit_case_record as _audit
from ecm.audit import changed_field_names, snapshot
from ecm.models import AuditEvent, Case, User

from .models import FamilyMember, Partnership


def _stale(label: str) -> core.StaleEditError:
    return core.StaleEditError(
        _(
            "Someone else changed this %(what)s while you were editing it. Your version has not "
            "been saved and is still in the form: compare it with theirs, then save again."
        )
        % {"what": label},
        code="stale",
    )


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


@transaction.atomic
def family_member_save(
    *,
    actor: User,
    case: Case,
    data: dict,
    member: FamilyMember | None = None,
    expected_version: int | None = None,
) -> FamilyMember:
    _require(access_for(actor).can_prepare_formulation(case))
    if member is not None:
        member = FamilyMember.objects.select_for_update().get(pk=member.pk, child=case.child)
        if expected_version is not None and expected_version != member.version:
            raise _stale(_("family member"))
        member.version += 1
    else:
        member = FamilyMember(child=case.child)
    before = snapshot(member)
    for key, value in data.items():
        setattr(member, key, value)
    for parent in (member.mother, member.father):
        if parent is not None and parent.child_id != case.child_id:
            raise PermissionDenied
    if member.date_of_birth and member.date_of_birth > timezone.localdate():
        raise ValidationError({"date_of_birth": _("The date of birth cannot be in the future.")})
    member.full_clean(exclude=["child"])
    member.save()
    _audit(
        actor,
        AuditEvent.Action.UPDATE if before.get("id") else AuditEvent.Action.CREATE,
        member,
        case,
        changed_field_names(member, before) if before.get("id") else ["name"],
    )
    return member


def ensure_index_member(case: Case) -> FamilyMember:
    """The child themself, as the genogram's index person."""
    child = case.child
    member = FamilyMember.objects.filter(child=child, relationship="self").first()
    if member is None:
        sex = child.gender if child.gender in ("male", "female") else "unknown"
        member = FamilyMember.objects.create(
            child=child,
            name=child.preferred_name or child.first_name,
            relationship="self",
            sex=sex,
            date_of_birth=child.date_of_birth,
        )
    return member


@transaction.atomic
def family_member_delete(*, actor: User, case: Case, member: FamilyMember) -> None:
    _require(access_for(actor).can_prepare_formulation(case))
    if member.child_id != case.child_id or member.relationship == "self":
        raise PermissionDenied
    _audit(actor, AuditEvent.Action.DELETE, member, case)
    member.delete()


@transaction.atomic
def partnership_save(
    *,
    actor: User,
    case: Case,
    a: FamilyMember,
    b: FamilyMember,
    status: str,
    start_year=None,
    end_year=None,
) -> Partnership:
    _require(access_for(actor).can_prepare_formulation(case))
    if a.child_id != case.child_id or b.child_id != case.child_id:
        raise PermissionDenied
    if a.pk == b.pk:
        raise ValidationError(_("A partnership needs two different people."))
    if start_year and end_year and end_year < start_year:
        raise ValidationError(_("The partnership cannot end before it starts."))
    partnership = Partnership.objects.create(
        child=case.child, a=a, b=b, status=status, start_year=start_year, end_year=end_year
    )
    _audit(actor, AuditEvent.Action.CREATE, partnership, case, ["a", "b", "status"])
    return partnership
