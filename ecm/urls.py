from allauth.account import views as account_views
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import account_views as ecm_account_views
from . import language, membership_views, notification_views, retention_views, views

admin.site.site_header = _("ECM administration")
admin.site.site_title = _("ECM administration")

urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/setlang/", language.set_language, name="set_language"),
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
    path("retention/", retention_views.retention_due, name="retention_due"),
    path("retention/reviews/<int:pk>/", retention_views.retention_review, name="retention_review"),
    path(
        "retention/holds/<int:pk>/lift/",
        retention_views.retention_hold_lift,
        name="retention_hold_lift",
    ),
    path("retention/erasures/<int:pk>/", retention_views.erasure_request, name="erasure_request"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("referrals.urls")),
    path("", include("formulation.urls")),
    path("", include("reviews.urls")),
    path("", include("supervision.urls")),
    path("", include("monitoring.urls")),
    path("", include("api.urls")),  # the integration API and its tokens page (issue 21)
    # Sign-in, password reset, second factors and sessions: django-allauth (issue 19).
    # "login" and "logout" name its views for the rest of the product; accounts are made by
    # administrators, so sign-up and changing one's own e-mail address are not offered.
    path("accounts/login/", account_views.login, name="login"),
    path("accounts/logout/", account_views.logout, name="logout"),
    path("accounts/signup/", ecm_account_views.not_offered),
    path("accounts/email/", ecm_account_views.not_offered),
    path("accounts/security/", ecm_account_views.security, name="account_security"),
    path("accounts/2fa/required/", ecm_account_views.mfa_required, name="mfa_required"),
    path("accounts/", include("allauth.urls")),
    path("team/members/", ecm_account_views.team_members, name="team_members"),
    path(
        "team/members/<int:pk>/reset-factors/",
        ecm_account_views.member_factors_reset,
        name="member_factors_reset",
    ),
    path("admin/login/", ecm_account_views.admin_login),
    path("admin/", admin.site.urls),
]
