"""Fill `Case.ecm_started_on` (the read model added in ecm 0010) for the cases that exist:
the local day of each case's first held formulation meeting, or its opening when the
formulation was carried forward (`formulation.meeting.selectors.ecm_start_from_meetings`,
restated here with the historical models, as a migration must)."""

from django.conf import settings
from django.db import migrations
from django.db.models import Case as Switch
from django.db.models import DateField, F, OuterRef, Subquery, When
from django.db.models.functions import Coalesce, TruncDate


def store(apps, schema_editor):
    import zoneinfo

    Case = apps.get_model("ecm", "Case")
    Meeting = apps.get_model("formulation", "Meeting")
    first = (
        Meeting.objects.filter(case_id=OuterRef("pk"), kind="formulation", status="held")
        .order_by("starts_at", "pk")
        .annotate(day=TruncDate("starts_at", tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE)))
        .values("day")[:1]
    )
    carried = Switch(
        When(formulation_decision="carried_forward", then=F("opened_on")),
        default=None,
        output_field=DateField(),
    )
    Case.objects.update(ecm_started_on=Coalesce(Subquery(first, output_field=DateField()), carried))


class Migration(migrations.Migration):
    dependencies = [
        ("ecm", "0010_case_ecm_started_on"),
        ("formulation", "0006_meeting_kind_recorded_afterwards_report_agencies"),
    ]

    operations = [migrations.RunPython(store, migrations.RunPython.noop)]
