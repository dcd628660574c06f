"""Writes of the genogram: family members and partnerships. Each checks Access, validates and
writes its audit row in the same transaction."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecm.access import access_for
from ecm.audit import audit_case_record as _audit
from ecm.editing import check_version, model_update
from ecm.models import AuditEvent, Case, Child, User

from .models import FamilyMember, Partnership
from .selectors import index_member_from_record


def _require_preparer(actor: User, case: Case) -> None:
    if not access_for(actor).can_prepare_formulation(case):
        raise PermissionDenied


@transaction.atomic
def genogram_start(*, actor: User, case: Case) -> FamilyMember:
    """The genogram's index person, the child themself: their saved row, or one made now from
    the child's record (audited). Saving a family member starts with this, so a genogram
    nobody has changed has no rows (its page and drawing show the child from the record)."""
    _require_preparer(actor, case)
    Child.objects.select_for_update().get(pk=case.child_id)  # two first saves make one row
    member = FamilyMember.objects.filter(
        child_id=case.child_id, relationship=FamilyMember.Relationship.SELF
    ).first()
    if member is None:
        member = index_member_from_record(case.child)
        member.save()
        _audit(actor, AuditEvent.Action.CREATE, member, case, ["name", "relationship"])
    return member


@transaction.atomic
def family_member_save(
    *,
    actor: User,
    case: Case,
    data: dict,
    member: FamilyMember | None = None,
    expected_version: int | None = None,
) -> FamilyMember:
    """Add a family member, or change one (`member`, as loaded at `expected_version`). Data
    for the child themself (relationship "the child") changes their index row."""
    _require_preparer(actor, case)
    index = genogram_start(actor=actor, case=case)
    if member is None and data.get("relationship") == FamilyMember.Relationship.SELF:
        member = index
    if member is not None:
        member = FamilyMember.objects.select_for_update().get(pk=member.pk, child=case.child)
        check_version(member, expected_version, what=_("family member"))
        member.version += 1
        action = AuditEvent.Action.UPDATE
    else:
        member = FamilyMember(child=case.child)
        action = AuditEvent.Action.CREATE
    changed = model_update(member, data)
    if member.is_index and member.pk != index.pk:
        raise ValidationError({"relationship": _("The child is already in the genogram.")})
    for parent in (member.mother, member.father):
        if parent is not None and parent.child_id != case.child_id:
            raise PermissionDenied
    if member.date_of_birth and member.date_of_birth > timezone.localdate():
        raise ValidationError({"date_of_birth": _("The date of birth cannot be in the future.")})
    member.full_clean(exclude=["child"])
    member.save()
    _audit(actor, action, member, case, changed)
    _link_child_to_parent(actor, case, index, member)
    return member


#: The child's parent link that a family member of each relationship fills.
_PARENT_LINK = {
    FamilyMember.Relationship.MOTHER: "mother",
    FamilyMember.Relationship.FATHER: "father",
}


def _link_child_to_parent(actor: User, case: Case, index: FamilyMember, member: FamilyMember):
    """A mother or father of the child saved: the child's own row points to them, so the
    drawing hangs the child below their parents. A link already set (chosen by hand) is
    kept; the change is audited on the child's row."""
    link = _PARENT_LINK.get(member.relationship)
    if link is None:
        return
    index = FamilyMember.objects.select_for_update().get(pk=index.pk)
    if getattr(index, f"{link}_id") is not None:
        return
    setattr(index, link, member)
    index.version += 1
    index.save(update_fields=[link, "version"])
    _audit(actor, AuditEvent.Action.UPDATE, index, case, [link])


@transaction.atomic
def family_member_delete(*, actor: User, case: Case, member: FamilyMember) -> None:
    _require_preparer(actor, case)
    if member.child_id != case.child_id or member.is_index:
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
    start_year: int | None = None,
    end_year: int | None = None,
) -> Partnership:
    _require_preparer(actor, case)
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
