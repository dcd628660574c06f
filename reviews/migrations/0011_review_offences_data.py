"""Each review's single offence (`Review.offence`, or only the `reoffence_*` fields) becomes
a linked row of the case's offence history (`ReviewOffence`); backwards, a review keeps its
first linked offence."""

from django.db import migrations


def forwards(apps, schema_editor):
    Review = apps.get_model("reviews", "Review")
    ReviewOffence = apps.get_model("reviews", "ReviewOffence")
    Offence = apps.get_model("referrals", "Offence")
    links = []
    for review in Review.objects.filter(reoffended=True).iterator():
        offence_id = review.offence_id
        if offence_id is None and review.reoffence_type and review.reoffence_date:
            offence_id = Offence.objects.create(
                case_id=review.case_id,
                date=review.reoffence_date,
                offence_type=review.reoffence_type,
                gravity=review.reoffence_gravity,
                disposal="",
            ).pk
        if offence_id is not None:
            links.append(ReviewOffence(review_id=review.pk, offence_id=offence_id))
    ReviewOffence.objects.bulk_create(links, ignore_conflicts=True)


def backwards(apps, schema_editor):
    Review = apps.get_model("reviews", "Review")
    ReviewOffence = apps.get_model("reviews", "ReviewOffence")
    seen = set()
    for link in ReviewOffence.objects.select_related("offence").order_by("offence__date", "pk"):
        if link.review_id in seen:
            continue
        seen.add(link.review_id)
        Review.objects.filter(pk=link.review_id).update(
            offence_id=link.offence_id,
            reoffence_type=link.offence.offence_type,
            reoffence_date=link.offence.date,
            reoffence_gravity=link.offence.gravity,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0010_review_offences_and_recommendations"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
