"""The OpenAPI schema and the documentation page, for a signed-in user or a token. The
page is Swagger UI from vendored files (drf-spectacular-sidecar), its start-up script a
separate file (SpectacularSwaggerSplitView): the CSP allows no inline script or style."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated

from .authentication import BearerTokenAuthentication

_AUTH = [BearerTokenAuthentication, SessionAuthentication]  # the first gives the 401 challenge


class SchemaView(SpectacularAPIView):
    authentication_classes = _AUTH
    permission_classes = [IsAuthenticated]
    throttle_classes = []


class DocsView(SpectacularSwaggerSplitView):
    authentication_classes = _AUTH
    permission_classes = [IsAuthenticated]
    throttle_classes = []
    template_name = "api/swagger_ui.html"
    url_name = "api:schema"


schema = SchemaView.as_view()
docs = login_required(DocsView.as_view())
