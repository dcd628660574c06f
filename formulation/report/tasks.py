"""Thin tasks of the report: render a large PDF, tidy rendered PDFs. Services queue them by
name (ecm.queueing.queue_task)."""

from celery import shared_task

from . import services


@shared_task(name=services.RENDER_PDF, acks_late=True)
def render_report_pdf(render_id: str) -> str:
    return services.report_render_run(render_id)


@shared_task(name="formulation.tidy_report_renders")
def tidy_report_renders() -> int:
    return services.report_renders_tidy()
