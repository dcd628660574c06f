"""The Trauma Recovery Model's words in Welsh and English (issue 23): a column per language
(django-modeltranslation); the English columns take today's text, and the shipped frameworks
get their Welsh from formulation/trm_data_cy.py (a draft not yet reviewed by a fluent
speaker: docs/glossary-cy.md)."""

from django.db import migrations, models
from django.db.models import F

FRAMEWORK_FIELDS = ("name", "source", "description")
STAGE_FIELDS = ("name", "presentation", "underlying_need", "interventions")


def both_languages(apps, schema_editor):
    from formulation.trm_data_cy import WELSH

    TRMFramework = apps.get_model("formulation", "TRMFramework")
    TRMStage = apps.get_model("formulation", "TRMStage")
    TRMFramework.objects.update(**{f"{f}_en_gb": F(f) for f in FRAMEWORK_FIELDS})
    TRMStage.objects.update(**{f"{f}_en_gb": F(f) for f in STAGE_FIELDS})
    for (code, version), welsh in WELSH.items():
        framework = TRMFramework.objects.filter(code=code, version=version).first()
        if framework is None:
            continue
        TRMFramework.objects.filter(pk=framework.pk).update(
            **{f"{f}_cy": welsh[f] for f in FRAMEWORK_FIELDS if welsh.get(f)}
        )
        for number, stage in welsh.get("stages", {}).items():
            TRMStage.objects.filter(framework=framework, number=number).update(
                **{f"{f}_cy": stage[f] for f in STAGE_FIELDS if stage.get(f)}
            )


class Migration(migrations.Migration):
    dependencies = [
        ("formulation", "0009_report_render_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="trmframework",
            name="description_cy",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="trmframework",
            name="description_en_gb",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="trmframework",
            name="name_cy",
            field=models.CharField(max_length=150, null=True, verbose_name="name"),
        ),
        migrations.AddField(
            model_name="trmframework",
            name="name_en_gb",
            field=models.CharField(max_length=150, null=True, verbose_name="name"),
        ),
        migrations.AddField(
            model_name="trmframework",
            name="source_cy",
            field=models.CharField(blank=True, max_length=255, null=True, verbose_name="source"),
        ),
        migrations.AddField(
            model_name="trmframework",
            name="source_en_gb",
            field=models.CharField(blank=True, max_length=255, null=True, verbose_name="source"),
        ),
        migrations.AddField(
            model_name="trmstage",
            name="interventions_cy",
            field=models.TextField(blank=True, null=True, verbose_name="fitting interventions"),
        ),
        migrations.AddField(
            model_name="trmstage",
            name="interventions_en_gb",
            field=models.TextField(blank=True, null=True, verbose_name="fitting interventions"),
        ),
        migrations.AddField(
            model_name="trmstage",
            name="name_cy",
            field=models.CharField(max_length=150, null=True, verbose_name="name"),
        ),
        migrations.AddField(
            model_name="trmstage",
            name="name_en_gb",
            field=models.CharField(max_length=150, null=True, verbose_name="name"),
        ),
        migrations.AddField(
            model_name="trmstage",
            name="presentation_cy",
            field=models.TextField(blank=True, null=True, verbose_name="presentation"),
        ),
        migrations.AddField(
            model_name="trmstage",
            name="presentation_en_gb",
            field=models.TextField(blank=True, null=True, verbose_name="presentation"),
        ),
        migrations.AddField(
            model_name="trmstage",
            name="underlying_need_cy",
            field=models.TextField(blank=True, null=True, verbose_name="underlying need"),
        ),
        migrations.AddField(
            model_name="trmstage",
            name="underlying_need_en_gb",
            field=models.TextField(blank=True, null=True, verbose_name="underlying need"),
        ),
        migrations.RunPython(both_languages, migrations.RunPython.noop),
    ]
