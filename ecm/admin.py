"""Django admin for administrators: users, teams and memberships (reference data).

Children and cases are deliberately not registered: case data is read only through the
scoped, audited pages. Admin changes are written to the audit log too.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .audit import audit_record
from .models import AuditEvent, Membership, Reminder, Team, TeamReminderSettings, User


class AuditedAdminMixin:
    def log_addition(self, request, obj, message):
        audit_record(actor=request.user, action=AuditEvent.Action.CREATE, obj=obj, detail="admin")
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        fields = []
        for entry in message or []:
            fields.extend(entry.get("changed", {}).get("fields", []))
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.UPDATE,
            obj=obj,
            changed_fields=[str(f) for f in fields],
            detail="admin",
        )
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            audit_record(
                actor=request.user, action=AuditEvent.Action.DELETE, obj=obj, detail="admin"
            )
        return super().log_deletions(request, queryset)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["team"]


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]
    fieldsets = BaseUserAdmin.fieldsets + ((_("Work"), {"fields": ("job_title", "phone")}),)


@admin.register(Team)
class TeamAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "kind", "central_team", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ("name",)}


@admin.register(Membership)
class MembershipAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "team", "role"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "user__last_name", "team__name"]
    autocomplete_fields = ["user", "team"]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """Recent sends and failures (read-only). A failed e-mail was retried with backoff; an
    uncertain one (the worker stopped while sending) was not resent: a superuser chooses to
    send it again or not (docs/notes-mail.md)."""

    list_display = (
        "created_at",
        "kind",
        "case_reference",
        "occurrence",
        "recipient",
        "recipient_email",
        "email_status",
        "attempts",
        "last_error",
        "claimed_at",
        "sent_at",
    )
    list_filter = ("email_status", "kind")
    search_fields = ("case_reference",)
    date_hierarchy = "created_at"
    actions = ("resend_email", "give_up_email")

    def has_resolve_permission(self, request) -> bool:
        from .access import access_for

        return access_for(request.user).can_resolve_email_delivery()

    def _resolve(self, request, queryset, *, resend: bool):
        from .reminders import resolve_uncertain

        done = resolve_uncertain(
            actor=request.user, reminder_ids=queryset.values_list("pk", flat=True), resend=resend
        )
        self.message_user(
            request, _("%(n)d reminder(s) changed (only uncertain or failed ones).") % {"n": done}
        )

    @admin.action(
        description=_("Send the e-mail again (uncertain or failed; same Message-ID)"),
        permissions=("resolve",),
    )
    def resend_email(self, request, queryset):
        self._resolve(request, queryset, resend=True)

    @admin.action(
        description=_("Do not send the e-mail (uncertain or failed)"),
        permissions=("resolve",),
    )
    def give_up_email(self, request, queryset):
        self._resolve(request, queryset, resend=False)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TeamReminderSettings)
class TeamReminderSettingsAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "team",
        "report_days_before",
        "review_days_before",
        "overdue_repeat_days",
        "meeting_target_days",
    )
