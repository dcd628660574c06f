"""Reads of the child's genogram, and its drawing."""

from __future__ import annotations

from ecm.models import Case

from . import drawing
from .models import FamilyMember, Partnership


def genogram_svg(case: Case) -> str:
    members = list(FamilyMember.objects.filter(child_id=case.child_id))
    unions = list(Partnership.objects.filter(child_id=case.child_id))
    people = []
    for m in members:
        notes = tuple(
            label
            for flag, label in (
                (m.mental_health, "mental health"),
                (m.substance_misuse, "substance misuse"),
                (m.imprisonment, "imprisonment"),
                (m.domestic_abuse, "domestic abuse"),
            )
            if flag
        )
        people.append(
            drawing.GenoPerson(
                id=m.pk,
                name=m.name,
                sex=m.sex,
                birth_label=m.birth_label,
                deceased=m.deceased,
                is_child=m.relationship == "self",
                lives_with_child=m.lives_with_child,
                notes=notes,
                generation=FamilyMember.GENERATION.get(m.relationship, 0),
                father_id=m.father_id,
                mother_id=m.mother_id,
            )
        )
    geno_unions = [
        drawing.GenoUnion(
            a=u.a_id,
            b=u.b_id,
            status=u.status,
            label=" – ".join(str(y) for y in (u.start_year, u.end_year) if y),
        )
        for u in unions
    ]
    return drawing.render_genogram(people, geno_unions, title=f"Genogram {case.reference}")
