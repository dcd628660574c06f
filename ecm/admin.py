"""Django admin for administrators: users, teams and memberships (reference data).

Children and cases are deliberately not registered: case data is read only through the
scoped, audited pages, and no other app registers case content (supervision shows session
metadata only). Admin changes are written to the audit log too. A membership made or changed
here waits for approval by a manager of the team (`ecm.memberships`); membership, password
and account-status changes are told to the user and the team's managers.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .audit import audit_record
from .memberships import (
    account_change_by_admin,
    membership_delete_by_admin,
    membership_save_by_admin,
)
from .models import (
    AuditEvent,
    Membership,
    Reminder,
    RetentionRule,
    Team,
    TeamReminderSettings,
    User,
)


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


MEMBERSHIP_APPROVAL_FIELDS = ("requested_by", "requested_at", "approved_by", "approved_at")


class MembershipInline(admin.TabularInline):
    """Memberships made or changed here wait for a manager of the team to approve them."""

    model = Membership
    fk_name = "user"
    extra = 1
    autocomplete_fields = ["team"]
    fields = ["team", "role", *MEMBERSHIP_APPROVAL_FIELDS]
    readonly_fields = MEMBERSHIP_APPROVAL_FIELDS


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]
    fieldsets = BaseUserAdmin.fieldsets + ((_("Work"), {"fields": ("job_title", "phone")}),)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            account_change_by_admin(actor=request.user, user=obj, changed_fields=form.changed_data)

    def log_change(self, request, obj, message):
        # The password form's only change message is "password" (AdminPasswordChangeForm).
        fields = [f for entry in message or [] for f in entry.get("changed", {}).get("fields", [])]
        if fields == ["password"]:
            account_change_by_admin(actor=request.user, user=obj, changed_fields=["password"])
        return super().log_change(request, obj, message)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        for inline_form in formset.forms:
            if inline_form in formset.deleted_forms:
                if inline_form.instance.pk:
                    membership_delete_by_admin(actor=request.user, membership=inline_form.instance)
                continue
            if not inline_form.has_changed() or not inline_form.cleaned_data:
                continue
            membership = inline_form.save(commit=False)
            membership.user = formset.instance  # a user being added has no pk until now
            membership_save_by_admin(
                actor=request.user,
                membership=membership,
                created=membership.pk is None,
                changed_fields=inline_form.changed_data,
                previous_team_id=inline_form.initial.get("team"),
            )
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


@admin.register(Team)
class TeamAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "kind", "central_team", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ("name",)}


class ApprovalFilter(admin.SimpleListFilter):
    title = _("approval")
    parameter_name = "approval"

    def lookups(self, request, model_admin):
        return [("pending", _("Waiting for approval")), ("approved", _("Approved"))]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.pending()
        if self.value() == "approved":
            return queryset.approved()
        return queryset


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Made or changed here, a membership waits for a manager of its team to approve it
    (`ecm.memberships`, which audits each change and tells the user and the managers)."""

    list_display = ["user", "team", "role", "approved_at", "approved_by"]
    list_filter = [ApprovalFilter, "role", "team"]
    search_fields = ["user__username", "user__last_name", "team__name"]
    autocomplete_fields = ["user", "team"]
    readonly_fields = MEMBERSHIP_APPROVAL_FIELDS

    def get_readonly_fields(self, request, obj=None):
        # A membership is not moved to another person: delete it and make a new one.
        return (*MEMBERSHIP_APPROVAL_FIELDS, "user") if obj else MEMBERSHIP_APPROVAL_FIELDS

    def save_model(self, request, obj, form, change):
        membership_save_by_admin(
            actor=request.user,
            membership=obj,
            created=not change,
            changed_fields=form.changed_data,
            previous_team_id=form.initial.get("team"),
        )

    def delete_model(self, request, obj):
        membership_delete_by_admin(actor=request.user, membership=obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user", "team"):
            membership_delete_by_admin(actor=request.user, membership=membership)


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


@admin.register(RetentionRule)
class RetentionRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Each team's retention rule, set by the organisation's records manager (issue 20). A
    team without one keeps records until the child is 25 or six years after the last episode
    closed, whichever is later: a conservative default, not a legal claim."""

    list_display = ("team", "years_after_closure", "minimum_age", "policy_reference", "updated_at")
    autocomplete_fields = ["team"]
