from django.urls import path

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
]
