from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("monitoring/", views.dashboard, name="dashboard"),
    path("monitoring/trends/", views.trends_page, name="trends"),
    path("monitoring/profile/", views.profile_page, name="profile"),
    path("monitoring/fidelity/", views.fidelity_page, name="fidelity"),
    path("monitoring/cases/<str:key>/", views.drill, name="drill"),
    path("monitoring/export/<str:table_key>.csv", views.export, name="export"),
    path("monitoring/caseload/", views.caseload, name="caseload"),
    path("pipeline/", views.pipeline, name="pipeline"),
]
