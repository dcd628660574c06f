"""The "Integration tokens" page: a team's administrators and managers make and revoke
the tokens of the YOT's own systems (the secret is shown once, on the page that made it)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ecm.access import access_for

from . import tokens
from .forms import TokenForm


@require_http_methods(["GET", "POST"])
def token_list(request):
    team_ids = access_for(request.user).api_token_team_ids()
    if not team_ids:
        raise Http404
    form = TokenForm(request.POST or None, team_ids=team_ids)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = tokens.token_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form = TokenForm(team_ids=team_ids)
            messages.success(request, _("Token made for “%(name)s”.") % {"name": token.name})
    return render(
        request,
        "api/tokens.html",
        {"form": form, "tokens": tokens.tokens_for(request.user), "secret": secret},
    )


@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(tokens.tokens_for(request.user), pk=pk)
    try:
        tokens.token_revoke(actor=request.user, token=token)
    except PermissionDenied:
        raise
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Token for “%(name)s” revoked.") % {"name": token.name})
    return redirect("api:tokens")
