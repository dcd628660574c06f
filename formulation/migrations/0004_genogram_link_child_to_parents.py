"""Genograms saved before the child was linked to their parents automatically: where the
child's own row has no mother (father) and the genogram has exactly one mother (father),
link them, as adding that parent now does. Ambiguous genograms are left as they are."""

from django.db import migrations


def link(apps, schema_editor):
    FamilyMember = apps.get_model("formulation", "FamilyMember")
    for field, relationship in (("mother", "mother"), ("father", "father")):
        for index in FamilyMember.objects.filter(relationship="self", **{f"{field}__isnull": True}):
            parents = list(
                FamilyMember.objects.filter(
                    child_id=index.child_id, relationship=relationship
                ).values_list("pk", flat=True)[:2]
            )
            if len(parents) == 1:
                setattr(index, f"{field}_id", parents[0])
                index.save(update_fields=[field])


class Migration(migrations.Migration):
    dependencies = [
        ("formulation", "0003_report"),
    ]

    operations = [migrations.RunPython(link, migrations.RunPython.noop)]
