"""The notification centre: what is due for me, each linking to the thing; and how I want
reminder e-mails."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .models import Notification, NotificationPreference


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["email_mode"]
        widgets = {"email_mode": forms.RadioSelect}


@require_GET
def notifications(request):
    qs = Notification.objects.filter(user=request.user).order_by("-created_at", "-pk")
    if request.GET.get("show") != "all":
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "ecm/notifications.html",
        {"page": page, "show_all": request.GET.get("show") == "all"},
    )


@require_GET
def notification_open(request, pk: int):
    """Mark read and go to the thing."""
    note = get_object_or_404(Notification, pk=pk, user=request.user)
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk).update(read_at=timezone.now())
    if note.link and url_has_allowed_host_and_scheme(note.link, allowed_hosts=None):
        return redirect(note.link)
    return redirect("notifications")


@require_POST
def notification_read(request, pk: int):
    """Mark one of my notifications read; another user's (or no) notification is a 404."""
    marked = Notification.objects.filter(pk=pk, user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if not marked and not Notification.objects.filter(pk=pk, user=request.user).exists():
        raise Http404
    return redirect("notifications")


@require_POST
def notifications_read_all(request):
    count = Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    messages.success(request, _("%(n)s notification(s) marked as read.") % {"n": count})
    return redirect("notifications")


@require_http_methods(["GET", "POST"])
def notification_preferences(request):
    # Nothing is written until the person saves (a GET only reads; the default applies).
    pref = NotificationPreference.objects.filter(user=request.user).first()
    pref = pref or NotificationPreference(user=request.user)
    form = PreferenceForm(request.POST or None, instance=pref)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your reminder preference is saved."))
        return redirect("notifications")
    return render(request, "ecm/notification_preferences.html", {"form": form})
