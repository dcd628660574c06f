"""The two TRM frameworks the product ships with (data from formulation/trm_data.py)."""

from django.db import migrations


def load(apps, schema_editor):
    from formulation.trm_data import FRAMEWORKS

    Framework = apps.get_model("formulation", "TRMFramework")
    Stage = apps.get_model("formulation", "TRMStage")
    for spec in FRAMEWORKS:
        framework, _ = Framework.objects.update_or_create(
            code=spec["code"],
            version=spec["version"],
            defaults={
                "name": spec["name"],
                "source": spec["source"],
                "description": spec["description"],
                "is_active": True,
            },
        )
        for stage in spec["stages"]:
            Stage.objects.update_or_create(
                framework=framework,
                number=stage["number"],
                defaults={
                    k: stage[k]
                    for k in (
                        "name",
                        "presentation",
                        "underlying_need",
                        "interventions",
                        "offence_focused_work",
                    )
                },
            )


def unload(apps, schema_editor):
    apps.get_model("formulation", "TRMFramework").objects.filter(
        code__in=["practice-stages", "trm-2018"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("formulation", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
