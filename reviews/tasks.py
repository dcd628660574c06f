"""The reviews app's periodic task. Thin: it calls one service and can run twice harmlessly."""

from celery import shared_task

from . import services


@shared_task(
    name="reviews.end_voluntary_periods",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def end_voluntary_periods() -> int:
    """Close the cases whose voluntary period after the order has ended."""
    return services.voluntary_periods_end()
