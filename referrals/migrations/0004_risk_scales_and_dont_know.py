"""Risk ratings on the AssetPlus scales, and "don't know" in the current / previous / never
rows of the complexity grid.

The referral stored low / medium / high in words; they become 1 / 2 / 3 on the AssetPlus
scales (reoffending 1-3; vulnerability, for harm to self, and serious harm, for harm to
others, 1-4 where 4 is "very high", which the old scale had not). Unanswered stays empty.
"""

from django.db import migrations, models

RISK_FIELDS = ("risk_reoffending", "risk_harm_self", "risk_harm_others")
WORDS_TO_POINTS = {"low": "1", "medium": "2", "high": "3"}
POINTS_TO_WORDS = {"1": "low", "2": "medium", "3": "high", "4": "high"}


def _convert(apps, mapping, empty):
    Referral = apps.get_model("referrals", "Referral")
    for name in RISK_FIELDS:
        for old, new in mapping.items():
            Referral.objects.filter(**{name: old}).update(**{name: new})
        Referral.objects.filter(**{name: empty[0]}).update(**{name: empty[1]})


def words_to_points(apps, schema_editor):
    _convert(apps, WORDS_TO_POINTS, ("", None))


def points_to_words(apps, schema_editor):
    _convert(apps, POINTS_TO_WORDS, (None, ""))


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0003_check_checked_at_index"),
    ]

    operations = [
        *[
            migrations.AlterField(
                model_name="referral",
                name=name,
                field=models.CharField(max_length=10, null=True, blank=True),
            )
            for name in RISK_FIELDS
        ],
        migrations.AlterField(
            model_name="criterion",
            name="kind",
            field=models.CharField(
                choices=[
                    ("complex_needs", "Evidence of complex needs"),
                    ("disposal", "Disposal type"),
                    ("excluded", "Excluded disposals"),
                    ("involvement", "Months of YOT involvement"),
                    ("offences", "Offences in a window before referral"),
                    ("previously_offended", "Has offended before"),
                    ("aces", "Evidence of adverse childhood experiences"),
                    ("manual", "Judged by the senior practitioner"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="referral",
            name="cx_camhs",
            field=models.CharField(
                blank=True,
                choices=[
                    ("current", "Current"),
                    ("previous", "Previous"),
                    ("never", "Never"),
                    ("dont_know", "Don't know"),
                ],
                max_length=10,
                verbose_name="Contact with CAMHS",
            ),
        ),
        migrations.AlterField(
            model_name="referral",
            name="cx_child_protection_plan",
            field=models.CharField(
                blank=True,
                choices=[
                    ("current", "Current"),
                    ("previous", "Previous"),
                    ("never", "Never"),
                    ("dont_know", "Don't know"),
                ],
                max_length=10,
                verbose_name="Child protection plan",
            ),
        ),
        migrations.AlterField(
            model_name="referral",
            name="cx_local_authority_care",
            field=models.CharField(
                blank=True,
                choices=[
                    ("current", "Current"),
                    ("previous", "Previous"),
                    ("never", "Never"),
                    ("dont_know", "Don't know"),
                ],
                max_length=10,
                verbose_name="Local authority care",
            ),
        ),
        migrations.AlterField(
            model_name="referral",
            name="cx_other_social_care",
            field=models.CharField(
                blank=True,
                choices=[
                    ("current", "Current"),
                    ("previous", "Previous"),
                    ("never", "Never"),
                    ("dont_know", "Don't know"),
                ],
                max_length=10,
                verbose_name="Other social care involvement",
            ),
        ),
        # Last: the data change, after every schema change of this migration.
        migrations.RunPython(words_to_points, points_to_words),
    ]
