from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("cases/<int:pk>/reviews/", views.overview, name="overview"),
    path("cases/<int:pk>/reviews/new/", views.review_new, name="review_new"),
    path("cases/<int:pk>/actions/", views.action_add, name="action_add"),
    path("cases/<int:pk>/risk/", views.risk_start, name="risk_start"),
    path("cases/<int:pk>/contacts/", views.contacts, name="contacts"),
    path("cases/<int:pk>/contacts/add/", views.contact_add, name="contact_add"),
    path("cases/<int:pk>/missed-appointments/", views.missed_decision, name="missed_decision"),
    path("cases/<int:pk>/close/", views.close, name="close"),
    path("cases/<int:pk>/voluntary-end/", views.voluntary_end, name="voluntary_end"),
    path("cases/<int:pk>/outcomes/baseline/", views.baseline, name="baseline"),
    path("reviews/<int:review_id>/", views.review_detail, name="review"),
    path("reviews/<int:review_id>/edit/", views.review_edit, name="review_edit"),
    path("reviews/<int:review_id>/trm/", views.review_trm, name="review_trm"),
    path(
        "cases/<int:pk>/reviews/form-row/<str:kind>/",
        views.review_form_row,
        name="review_form_row",
    ),
    path(
        "review-recommendations/<int:proposal_id>/confirm/",
        views.review_recommendation_confirm,
        name="review_recommendation_confirm",
    ),
    path("actions/<int:action_id>/status/", views.action_status, name="action_status"),
    path("overdue/<str:kind>/", views.team_overdue, name="team_overdue"),
]
