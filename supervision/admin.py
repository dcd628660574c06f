"""Supervision in the Django admin: that sessions happened, never what was said. Content
fields are not on the list, the form, the search or the filters; nothing can be added or
changed here (sessions are the psychologist's, through the product)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ecm.admin import AuditedAdminMixin

from .models import Session, SupervisionSettings


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("starts_at", "duration", "format", "kind", "mode", "psychologist", "team")
    list_filter = ("format", "kind", "mode", "team")
    fields = ("starts_at", "ends_at", "format", "kind", "mode", "location", "psychologist", "team")
    readonly_fields = fields
    search_fields = ()
    date_hierarchy = "starts_at"

    @admin.display(description=_("minutes"))
    def duration(self, obj):
        return obj.duration_minutes

    def lookup_allowed(self, lookup, value, request=None):
        """Only the metadata filters on the page: a URL filter on notes or themes would let
        an administrator guess content by counting results."""
        allowed = {"format", "format__exact", "kind", "kind__exact", "mode", "mode__exact"}
        allowed |= {"team", "team__id__exact", "team__exact"}
        return lookup in allowed or lookup.startswith("starts_at__")

    def get_queryset(self, request):
        # Only metadata columns are ever loaded here.
        return (
            super().get_queryset(request).only(*self.fields).select_related("psychologist", "team")
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SupervisionSettings)
class SupervisionSettingsAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("team", "interval_months")
