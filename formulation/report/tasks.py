"""Thin tasks of the report: render a large PDF, tidy rendered PDFs."""

from celery import shared_task


@shared_task(name="formulation.render_report_pdf", acks_late=True)
def render_report_pdf(render_id: str) -> str:
    from .services import report_render_run

    return report_render_run(render_id)


@shared_task(name="formulation.tidy_report_renders")
def tidy_report_renders() -> int:
    from .services import report_renders_tidy

    return report_renders_tidy()
