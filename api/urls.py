from django.urls import path

from . import docs_views, pages, views

app_name = "api"

urlpatterns = [
    path("api/tokens/", pages.token_list, name="tokens"),
    path("api/tokens/<int:pk>/revoke/", pages.token_revoke, name="token_revoke"),
    path("api/v1/schema/", docs_views.schema, name="schema"),
    path("api/v1/docs/", docs_views.docs, name="docs"),
    path("api/v1/children/", views.ChildList.as_view(), name="children"),
    path("api/v1/children/<int:pk>/", views.ChildDetail.as_view(), name="child"),
    path("api/v1/cases/", views.CaseList.as_view(), name="cases"),
    path("api/v1/cases/<int:pk>/", views.CaseDetail.as_view(), name="case"),
    path("api/v1/cases/<int:pk>/offences/", views.OffenceList.as_view(), name="offences"),
    path("api/v1/cases/<int:pk>/contacts/", views.ContactList.as_view(), name="contacts"),
    path("api/v1/cases/<int:pk>/referral/", views.ReferralDetail.as_view(), name="referral"),
    path("api/v1/cases/<int:pk>/actions/", views.ActionList.as_view(), name="actions"),
    path("api/v1/cases/<int:pk>/reviews/", views.ReviewList.as_view(), name="reviews"),
    path(
        "api/v1/cases/<int:pk>/report/versions/",
        views.ReportVersionList.as_view(),
        name="report_versions",
    ),
    path(
        "api/v1/cases/<int:pk>/report/versions/<int:number>/pdf/",
        views.ReportPdf.as_view(),
        name="report_pdf",
    ),
    path("api/v1/monitoring/figures/", views.MonitoringFigures.as_view(), name="figures"),
    path("api/v1/imports/", views.ChildImport.as_view(), name="imports"),
]
