from django.urls import path

from . import report_views as rv
from . import views

app_name = "formulation"

urlpatterns = [
    path("cases/<int:pk>/formulation/", views.workspace, name="workspace"),
    path("cases/<int:pk>/formulation/schedule/", views.schedule, name="schedule"),
    path("cases/<int:pk>/genogram/", views.genogram, name="genogram"),
    path("cases/<int:pk>/summary/", views.summary, name="summary"),
    path("cases/<int:pk>/timeline/", views.timeline, name="timeline"),
    path("cases/<int:pk>/timeline/present/", views.timeline_present, name="timeline_present"),
    path("cases/<int:pk>/timeline/events/", views.timeline_event_add, name="timeline_add"),
    path(
        "cases/<int:pk>/timeline/events/<int:event_id>/",
        views.timeline_event_edit,
        name="timeline_edit",
    ),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/invite/", views.invite, name="invite"),
    path("meetings/<int:pk>/attendee/", views.add_attendee, name="attendee"),
    path(
        "meetings/<int:pk>/invitations/<int:invitation_id>/",
        views.invitation_update,
        name="invitation",
    ),
    path("meetings/<int:pk>/checklist/", views.checklist_tick, name="checklist"),
    path("meetings/<int:pk>/minutes/", views.minutes, name="minutes"),
    path("meetings/<int:pk>/developmental-map/", views.developmental_map, name="dmap"),
    path("meetings/<int:pk>/trm/", views.trm_placement, name="trm"),
    path("meetings/<int:pk>/recommendations/", views.recommendation_add, name="recommendation_add"),
    path(
        "meetings/<int:pk>/recommendations/<int:rec_id>/delete/",
        views.recommendation_delete,
        name="recommendation_delete",
    ),
    path("meetings/<int:pk>/held/", views.mark_held, name="held"),
    path("directory/", views.directory, name="directory"),
    # Formulation report
    path("cases/<int:pk>/report/", rv.report_page, name="report"),
    path("cases/<int:pk>/report/start/", rv.report_start, name="report_start"),
    path("cases/<int:pk>/report/save/", rv.report_save, name="report_save"),
    path("cases/<int:pk>/report/send/", rv.report_send, name="report_send"),
    path("cases/<int:pk>/report/take-over/", rv.report_take_over, name="report_take_over"),
    path("cases/<int:pk>/report/comments/", rv.report_comment, name="report_comment"),
    path(
        "cases/<int:pk>/report/comments/<int:comment_id>/resolve/",
        rv.report_resolve,
        name="report_resolve",
    ),
    path("cases/<int:pk>/report/approve/", rv.report_approve, name="report_approve"),
    path("cases/<int:pk>/report/finalise/", rv.report_finalise, name="report_finalise"),
    path("cases/<int:pk>/report/amend/", rv.report_amend, name="report_amend"),
    path(
        "cases/<int:pk>/report/recommendations/",
        rv.report_recommendation,
        name="report_recommendation_add",
    ),
    path(
        "cases/<int:pk>/report/recommendations/<int:rec_id>/delete/",
        rv.report_recommendation_delete,
        name="report_recommendation_delete",
    ),
    path("cases/<int:pk>/report/versions/<int:number>/", rv.report_version, name="report_version"),
    path("cases/<int:pk>/report/compare/", rv.report_compare, name="report_compare"),
    path("cases/<int:pk>/report/pdf/", rv.report_pdf, name="report_pdf"),
    path("cases/<int:pk>/report/circulation/", rv.circulation_add, name="circulation_add"),
    path(
        "cases/<int:pk>/report/circulation/<int:circulation_id>/pdf/",
        rv.circulation_pdf,
        name="circulation_pdf",
    ),
    path("report-pdfs/<uuid:render_id>/", rv.report_render, name="report_render"),
    path(
        "report-pdfs/<uuid:render_id>/download/",
        rv.report_render_download,
        name="report_render_download",
    ),
]
