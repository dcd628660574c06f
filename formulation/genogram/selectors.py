"""Reads of the child's genogram, and its drawing."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ecm.models import Case, Child, Gender

from . import drawing
from .models import FamilyMember, Partnership, Sex

_SEX_OF_GENDER = {Gender.MALE: Sex.MALE, Gender.FEMALE: Sex.FEMALE}


def index_member_from_record(child: Child) -> FamilyMember:
    """The child as the genogram's index person, from their record (not saved)."""
    return FamilyMember(
        child=child,
        name=child.preferred_name or child.first_name,
        relationship=FamilyMember.Relationship.SELF,
        sex=_SEX_OF_GENDER.get(child.gender, Sex.UNKNOWN),
        date_of_birth=child.date_of_birth,
    )


def saved_family_members(case: Case) -> QuerySet[FamilyMember]:
    return FamilyMember.objects.filter(child_id=case.child_id)


def family_members(case: Case) -> list[FamilyMember]:
    """The child's family members, the child first: their own row, or (until someone saves a
    family member) the child from their record, not saved, with no pk."""
    members = list(saved_family_members(case).select_related("mother", "father"))
    if not any(m.is_index for m in members):
        members.insert(0, index_member_from_record(case.child))
    for member in members:
        if member.is_index:
            # The child's date of birth is the record's (a correction there shows here too).
            member.date_of_birth, member.year_of_birth = case.child.date_of_birth, None
    return members


def genogram_svg(case: Case) -> str:
    members = family_members(case)
    unions = Partnership.objects.filter(child_id=case.child_id)
    people = [
        drawing.GenoPerson(
            id=m.pk or 0,
            name=m.name,
            sex=m.sex,
            birth_label=m.birth_label,
            deceased=m.deceased,
            is_child=m.is_index,
            lives_with_child=m.lives_with_child,
            notes=tuple(m.concerns),
            generation=FamilyMember.GENERATION.get(m.relationship, 0),
            father_id=m.father_id,
            mother_id=m.mother_id,
        )
        for m in members
    ]
    geno_unions = [
        drawing.GenoUnion(
            a=u.a_id,
            b=u.b_id,
            status=u.status,
            label=" – ".join(str(y) for y in (u.start_year, u.end_year) if y),
        )
        for u in unions
    ]
    title = _("Genogram %(ref)s") % {"ref": case.reference}
    return drawing.render_genogram(people, geno_unions, title=title)
