from django.db import migrations, models
from django.utils import timezone


def backfill(apps, schema_editor):
    """Each review's due date from the reviews held before it (or the formulation meeting)."""
    Review = apps.get_model("reviews", "Review")
    Meeting = apps.get_model("formulation", "Meeting")
    first_due = {}
    for case_id, review_at in (
        Meeting.objects.filter(status="held", review_at__isnull=False)
        .order_by("-starts_at")
        .values_list("case_id", "review_at")
    ):
        first_due[case_id] = timezone.localdate(review_at)  # the earliest meeting wins
    batch, case, due, seen = [], None, None, False
    rows = Review.objects.order_by("case_id", "held_on", "pk").values_list(
        "pk", "case_id", "next_review_on"
    )
    for pk, case_id, next_on in rows.iterator(chunk_size=5000):
        if case_id != case:
            case, due, seen = case_id, first_due.get(case_id), False
        if due is not None:
            batch.append(Review(pk=pk, due_on=due))
        if next_on is not None or not seen:
            due = next_on if next_on is not None else None
        seen = True
        if len(batch) >= 2000:
            Review.objects.bulk_update(batch, ["due_on"])
            batch = []
    if batch:
        Review.objects.bulk_update(batch, ["due_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("formulation", "0001_initial"),
        ("reviews", "0003_review_held_on_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="review",
            name="due_on",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="due on"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
