from django.urls import path

from .decision import views as decision
from .genogram import views as genogram
from .meeting import views as meeting
from .report import views as report
from .timeline import views as timeline

app_name = "formulation"

urlpatterns = [
    path("cases/<int:pk>/formulation/", meeting.workspace, name="workspace"),
    path("cases/<int:pk>/formulation/schedule/", meeting.schedule, name="schedule"),
    path("cases/<int:pk>/formulation/decision/", decision.formulation_decision, name="decision"),
    path("cases/<int:pk>/reviews/arrange/", meeting.arrange_review, name="arrange_review"),
    path("cases/<int:pk>/genogram/", genogram.genogram, name="genogram"),
    path("cases/<int:pk>/summary/", timeline.summary, name="summary"),
    path("cases/<int:pk>/summary/<int:item_id>/", timeline.summary_item_edit, name="summary_edit"),
    path("cases/<int:pk>/timeline/", timeline.timeline, name="timeline"),
    path("cases/<int:pk>/timeline/present/", timeline.timeline_present, name="timeline_present"),
    path("cases/<int:pk>/timeline/events/", timeline.timeline_event_add, name="timeline_add"),
    path(
        "cases/<int:pk>/timeline/events/<int:event_id>/",
        timeline.timeline_event_edit,
        name="timeline_edit",
    ),
    path("meetings/<int:pk>/", meeting.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/forms/<str:name>/", meeting.meeting_form, name="meeting_form"),
    path("meetings/<int:pk>/invite/", meeting.invite, name="invite"),
    path("meetings/<int:pk>/attendee/", meeting.add_attendee, name="attendee"),
    path(
        "meetings/<int:pk>/invitations/<int:invitation_id>/",
        meeting.invitation_update,
        name="invitation",
    ),
    path("meetings/<int:pk>/checklist/", meeting.checklist_tick, name="checklist"),
    path("meetings/<int:pk>/minutes/", meeting.minutes, name="minutes"),
    path("meetings/<int:pk>/developmental-map/", meeting.developmental_map, name="dmap"),
    path("meetings/<int:pk>/trm/", meeting.trm_placement, name="trm"),
    path(
        "meetings/<int:pk>/recommendations/",
        report.meeting_recommendation_add,
        name="recommendation_add",
    ),
    path(
        "meetings/<int:pk>/recommendations/<int:rec_id>/delete/",
        report.meeting_recommendation_delete,
        name="recommendation_delete",
    ),
    path("meetings/<int:pk>/held/", meeting.mark_held, name="held"),
    path("meetings/<int:pk>/report-agencies/", meeting.report_agencies, name="report_agencies"),
    path("directory/", meeting.directory, name="directory"),
    # Formulation report
    path("cases/<int:pk>/report/", report.report_page, name="report"),
    path("cases/<int:pk>/report/start/", report.report_start, name="report_start"),
    path("cases/<int:pk>/report/save/", report.report_save, name="report_save"),
    path("cases/<int:pk>/report/autosave/", report.report_autosave, name="report_autosave"),
    path("cases/<int:pk>/report/send/", report.report_send, name="report_send"),
    path("cases/<int:pk>/report/take-over/", report.report_take_over, name="report_take_over"),
    path("cases/<int:pk>/report/comments/", report.report_comment, name="report_comment"),
    path(
        "cases/<int:pk>/report/comments/<int:comment_id>/resolve/",
        report.report_resolve,
        name="report_resolve",
    ),
    path("cases/<int:pk>/report/approve/", report.report_approve, name="report_approve"),
    path("cases/<int:pk>/report/finalise/", report.report_finalise, name="report_finalise"),
    path("cases/<int:pk>/report/amend/", report.report_amend, name="report_amend"),
    path(
        "cases/<int:pk>/report/recommendations/",
        report.report_recommendation,
        name="report_recommendation_add",
    ),
    path(
        "cases/<int:pk>/report/recommendations/<int:rec_id>/delete/",
        report.report_recommendation_delete,
        name="report_recommendation_delete",
    ),
    path(
        "cases/<int:pk>/report/versions/<int:number>/", report.report_version, name="report_version"
    ),
    path("cases/<int:pk>/report/compare/", report.report_compare, name="report_compare"),
    path("cases/<int:pk>/report/pdf/", report.report_pdf, name="report_pdf"),
    path("cases/<int:pk>/report/circulation/", report.circulation_add, name="circulation_add"),
    path(
        "cases/<int:pk>/report/circulation/<int:circulation_id>/pdf/",
        report.circulation_pdf,
        name="circulation_pdf",
    ),
    path("report-pdfs/<uuid:render_id>/", report.report_render, name="report_render"),
    path(
        "report-pdfs/<uuid:render_id>/download/",
        report.report_render_download,
        name="report_render_download",
    ),
]
