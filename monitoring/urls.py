from django.urls import path

from . import views
from .subject_access import views as sar

app_name = "monitoring"

urlpatterns = [
    path("monitoring/", views.dashboard, name="dashboard"),
    path("monitoring/trends/", views.trends_page, name="trends"),
    path("monitoring/profile/", views.profile_page, name="profile"),
    path("monitoring/fidelity/", views.fidelity_page, name="fidelity"),
    path("monitoring/recompute/<str:section>/", views.recompute, name="recompute"),
    path("monitoring/cases/<str:key>/", views.drill, name="drill"),
    path("monitoring/export/<str:table_key>.csv", views.export, name="export"),
    path("monitoring/caseload/", views.caseload, name="caseload"),
    path("pipeline/", views.pipeline, name="pipeline"),
    path("cases/<int:pk>/subject-access/", sar.child_requests, name="subject_access_child"),
    path("subject-access/<int:sar_id>/", sar.detail, name="subject_access"),
    path("subject-access/<int:sar_id>/decide/", sar.decide, name="subject_access_decide"),
    path("subject-access/<int:sar_id>/release/", sar.release, name="subject_access_release"),
    path("subject-access/<int:sar_id>/download/", sar.download, name="subject_access_download"),
]
