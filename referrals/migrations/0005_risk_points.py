"""The referral's risk ratings become numbers on the AssetPlus scales (the words were mapped
to points by 0004; a schema change in the same transaction as that data change fails
on PostgreSQL with "pending trigger events", hence a migration of its own)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("referrals", "0004_risk_scales_and_dont_know")]

    operations = [
        migrations.AlterField(
            model_name="referral",
            name="risk_harm_others",
            field=models.PositiveSmallIntegerField(
                blank=True,
                choices=[(1, "Low"), (2, "Medium"), (3, "High"), (4, "Very high")],
                null=True,
                verbose_name="risk of serious harm to others",
            ),
        ),
        migrations.AlterField(
            model_name="referral",
            name="risk_harm_self",
            field=models.PositiveSmallIntegerField(
                blank=True,
                choices=[(1, "Low"), (2, "Medium"), (3, "High"), (4, "Very high")],
                null=True,
                verbose_name="vulnerability (risk of harm to self)",
            ),
        ),
        migrations.AlterField(
            model_name="referral",
            name="risk_reoffending",
            field=models.PositiveSmallIntegerField(
                blank=True,
                choices=[
                    (1, "Low (YOGRS 0-43%)"),
                    (2, "Medium (YOGRS 44-76%)"),
                    (3, "High (YOGRS 77-100%)"),
                ],
                null=True,
                verbose_name="risk of reoffending",
            ),
        ),
    ]
