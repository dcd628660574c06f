from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import membership_views, notification_views, views
from .auth_forms import LoginForm

admin.site.site_header = _("ECM administration")
admin.site.site_title = _("ECM administration")

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/start-again/", views.case_start_again, name="case_start_again"),
    path(
        "cases/<int:pk>/not-carried-forward/",
        views.case_not_carried_forward,
        name="case_not_carried_forward",
    ),
    path("cases/<int:pk>/allocate/", views.case_allocate, name="case_allocate"),
    path("cases/<int:pk>/reopen/", views.case_reopen, name="case_reopen"),
    path("cases/<int:pk>/child/", views.child_correct, name="child_correct"),
    path("children/new/", views.child_create, name="child_create"),
    path("search/", views.search, name="search"),
    path("audit/", views.audit_log, name="audit_log"),
    path("notifications/", notification_views.notifications, name="notifications"),
    path("notifications/<int:pk>/", notification_views.notification_open, name="notification_open"),
    path(
        "notifications/<int:pk>/read/",
        notification_views.notification_read,
        name="notification_read",
    ),
    path(
        "notifications/read-all/",
        notification_views.notifications_read_all,
        name="notifications_read_all",
    ),
    path(
        "notifications/preferences/",
        notification_views.notification_preferences,
        name="notification_preferences",
    ),
    path("memberships/pending/", membership_views.pending, name="memberships_pending"),
    path(
        "memberships/<int:pk>/<str:decision>/",
        membership_views.decide,
        name="membership_decide",
    ),
    path("healthz", views.healthz, name="healthz"),
    path("", include("referrals.urls")),
    path("", include("formulation.urls")),
    path("", include("reviews.urls")),
    path("", include("supervision.urls")),
    path("", include("monitoring.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
