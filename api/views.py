"""The REST API, version 1. Views are thin: reads through the pages' scoped selectors
(`ecm.selectors.case_list_for`/`case_get_for` with the token's access), writes through the
pages' services, one audit row per request under the integration's name."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, renderers, serializers
from rest_framework.exceptions import APIException, ParseError, PermissionDenied
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from ecm.access import access_for
from ecm.audit import audit_case_record, audit_listing, audit_record
from ecm.dates import add_months
from ecm.models import AuditEvent, Case, Child
from ecm.selectors import case_get_for, case_list_for
from formulation.report import pdf
from formulation.report.selectors import report_for_case
from monitoring import figures
from monitoring.tables import every_table
from referrals.imports import services as import_services
from referrals.models import Offence, Referral
from referrals.services import offence_record
from reviews.models import Action, Contact, Review
from reviews.services import contact_add

from . import serializers as s
from .filters import CaseFilter, ChildFilter
from .idempotency import HEADER as IDEMPOTENCY_HEADER
from .idempotency import create_once
from .models import Scope

log = logging.getLogger(__name__)

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Send the same key again to retry: the first answer is replayed, nothing is "
    "recorded twice.",
)


class CsvBodyParser(BaseParser):
    """A CSV file as the request body, kept as bytes (the import reads its encoding)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.ASSETPLUS_MAX_BYTES  # the upload limit of the Import page too
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise ParseError(_("The file is larger than the upload limit."))
        return data


class _Audited:
    """List views: one audit row for the page of results (their case and child ids)."""

    audit_detail = ""

    def cases_shown(self, page) -> list[Case]:
        return []

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        data = self.get_serializer(page, many=True).data
        self.audit(page)
        return self.get_paginated_response(data)

    def audit(self, page) -> None:
        audit_listing(
            actor=self.request.user,
            action=AuditEvent.Action.VIEW,
            cases=self.cases_shown(page),
            detail=f"api {self.audit_detail}",
        )


# --- Children and cases ------------------------------------------------------------------


class ChildList(_Audited, generics.ListAPIView):
    """Children of the token's team (find one by `yot_reference` or `pnc_number`)."""

    read_scope = Scope.CASES_READ
    serializer_class = s.ChildSerializer
    filterset_class = ChildFilter
    audit_detail = "children"

    def get_queryset(self):
        visible = case_list_for(self.request.user).select_related(None).order_by("opened_on")
        return (
            Child.objects.filter(cases__in=visible.values("pk"))
            .distinct()
            .order_by("last_name", "first_name", "pk")
            .prefetch_related(Prefetch("cases", queryset=visible, to_attr="visible_cases"))
        )

    def cases_shown(self, page):
        return [case for child in page for case in child.visible_cases]


class ChildDetail(generics.RetrieveAPIView):
    read_scope = Scope.CASES_READ
    serializer_class = s.ChildSerializer
    get_queryset = ChildList.get_queryset

    def retrieve(self, request, *args, **kwargs):
        child = self.get_object()
        audit_record(actor=request.user, action=AuditEvent.Action.VIEW, obj=child, detail="api")
        return Response(self.get_serializer(child).data)


class CaseList(_Audited, generics.ListAPIView):
    """Cases (ECM episodes) of the token's team, with their status."""

    read_scope = Scope.CASES_READ
    serializer_class = s.CaseSerializer
    filterset_class = CaseFilter
    audit_detail = "cases"

    def get_queryset(self):
        return case_list_for(self.request.user).order_by("pk")

    def cases_shown(self, page):
        return list(page)


class CaseDetail(APIView):
    read_scope = Scope.CASES_READ

    @extend_schema(responses=s.CaseSerializer)
    def get(self, request, pk: int):
        case = case_get_for(request.user, pk)
        audit_record(actor=request.user, action=AuditEvent.Action.VIEW, obj=case, detail="api")
        return Response(s.CaseSerializer(case).data)


# --- Things recorded on a case -----------------------------------------------------------


class _OfCase(_Audited):
    """A list of one case's records (the case fetched through `case_get_for`: 404 if the
    token's team may not see it)."""

    model = None

    @property
    def case(self) -> Case:
        if not hasattr(self, "_case"):
            self._case = case_get_for(self.request.user, self.kwargs["pk"])
        return self._case

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return self.model.objects.filter(case=self.case).order_by("pk")

    def cases_shown(self, page):
        return [self.case]


class OffenceList(_OfCase, generics.ListCreateAPIView):
    """A case's offences. POST records one through the same service as the offences page,
    also once the case has ended (offending after ECM needs no re-referral)."""

    model = Offence
    read_scope = Scope.OFFENCES_READ
    write_scope = Scope.OFFENCES_WRITE
    serializer_class = s.OffenceSerializer
    audit_detail = "offences"

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER], responses={201: s.OffenceSerializer})
    def post(self, request, pk: int):
        case = self.case
        serializer = s.OffenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        def create():
            offence = offence_record(actor=request.user, case=case, data=serializer.validated_data)
            return s.OffenceSerializer(offence).data, offence.pk

        def replay(object_id):
            offence = Offence.objects.filter(case=case, pk=object_id).first()
            return s.OffenceSerializer(offence).data if offence else None

        return create_once(request, object_type="offence", create=create, replay=replay)


class ContactList(_OfCase, generics.ListCreateAPIView):
    """A case's contacts. POST records one through the reviews' service (open cases only)."""

    model = Contact
    read_scope = Scope.CASES_READ
    write_scope = Scope.CONTACTS_WRITE
    serializer_class = s.ContactSerializer
    audit_detail = "contacts"

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER], responses={201: s.ContactSerializer})
    def post(self, request, pk: int):
        case = self.case
        serializer = s.ContactSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        def create():
            contact = contact_add(actor=request.user, case=case, data=serializer.validated_data)
            return s.ContactSerializer(contact).data, contact.pk

        def replay(object_id):
            contact = Contact.objects.filter(case=case, pk=object_id).first()
            return s.ContactSerializer(contact).data if contact else None

        return create_once(request, object_type="contact", create=create, replay=replay)


class ReferralDetail(APIView):
    """The case's referral (404 when none has been started)."""

    read_scope = Scope.CASES_READ

    @extend_schema(responses=s.ReferralSerializer)
    def get(self, request, pk: int):
        case = case_get_for(request.user, pk)
        referral = Referral.objects.filter(case=case).first()
        if referral is None:
            raise Http404
        audit_case_record(request.user, AuditEvent.Action.VIEW, referral, case, detail="api")
        return Response(s.ReferralSerializer(referral).data)


class ImportResultSerializer(serializers.Serializer):
    imported = serializers.BooleanField(help_text="False for a dry run or a refused file.")
    counts = serializers.DictField(child=serializers.IntegerField())
    errors = serializers.ListField(child=serializers.CharField())
    notices = serializers.ListField(child=serializers.CharField())


class ChildImport(APIView):
    """Import children and their offences from the YOT system's CSV export (the body, as
    `text/csv`), in one transaction, as the Import page does. `?dry_run=1` answers what it
    would do and writes nothing; `?valid_rows_only=1` leaves rows with errors out (otherwise
    any row error refuses the whole file: 400). Idempotent on the YOT reference."""

    write_scope = Scope.IMPORTS_WRITE
    parser_classes = [CsvBodyParser]

    @extend_schema(
        request={"text/csv": OpenApiTypes.STR},
        parameters=[
            OpenApiParameter("dry_run", OpenApiTypes.BOOL, OpenApiParameter.QUERY),
            OpenApiParameter("valid_rows_only", OpenApiTypes.BOOL, OpenApiParameter.QUERY),
        ],
        responses={200: ImportResultSerializer, 400: ImportResultSerializer},
    )
    def post(self, request):
        team = request.auth.team
        if not access_for(request.user).can_import_children(team):
            raise PermissionDenied(_("This token's team cannot import children."))
        data = request.data if isinstance(request.data, bytes) else b""
        flag = {"1", "true", "yes"}
        dry_run = request.query_params.get("dry_run", "").lower() in flag
        valid_only = request.query_params.get("valid_rows_only", "").lower() in flag
        try:
            plan = import_services.import_plan(team=team, data=data)
        except ValidationError as exc:
            return Response(
                {"imported": False, "counts": {}, "errors": exc.messages, "notices": []},
                status=400,
            )
        result = {
            "imported": False,
            "counts": plan.counts(),
            "errors": list(plan.errors),
            "notices": list(plan.notices),
        }
        if dry_run:
            audit_record(
                actor=request.user,
                action=AuditEvent.Action.VIEW,
                team_id=team.pk,
                detail="api import dry run",
            )
            return Response(result)
        try:
            result["counts"] = import_services.import_apply(
                actor=request.user, team=team, data=data, skip_invalid=valid_only
            )
        except ValidationError as exc:
            return Response({**result, "errors": exc.messages + result["errors"]}, status=400)
        result["imported"] = True
        return Response(result)


class ActionList(_OfCase, generics.ListAPIView):
    model = Action
    read_scope = Scope.CASES_READ
    serializer_class = s.ActionSerializer
    audit_detail = "actions"


class ReviewList(_OfCase, generics.ListAPIView):
    model = Review
    read_scope = Scope.CASES_READ
    serializer_class = s.ReviewSerializer
    audit_detail = "reviews"


# --- The formulation report's final versions ------------------------------------------------


class ReportVersionList(_OfCase, generics.ListAPIView):
    """The final versions of the case's formulation report (drafts are never served)."""

    read_scope = Scope.REPORTS_READ
    serializer_class = s.ReportVersionSerializer
    audit_detail = "report versions"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return s.ReportVersion.objects.none()
        report = report_for_case(self.case)
        if report is None:
            return s.ReportVersion.objects.none()
        return report.versions.select_related("report").order_by("number")


class PDFRenderer(renderers.BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else b""


class PdfFailed(APIException):
    status_code = 503
    default_detail = "The PDF could not be made. Try again later."


class ReportPdf(APIView):
    """A final version's PDF, as the report page prints it; audited as an export."""

    read_scope = Scope.REPORTS_READ
    renderer_classes = [renderers.JSONRenderer, PDFRenderer]

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            (404, "application/json"): OpenApiResponse(description="No such final version"),
        }
    )
    def get(self, request, pk: int, number: int):
        case = case_get_for(request.user, pk)
        report = report_for_case(case)
        version = report.versions.filter(number=number).first() if report else None
        if version is None:
            raise Http404
        try:
            doc = pdf.document_for(report, user=request.user, version=version)
            data = pdf.render_pdf(doc)
        except Exception:
            log.exception("report PDF failed for case %s (api)", case.pk)
            raise PdfFailed from None
        audit_case_record(
            request.user, AuditEvent.Action.EXPORT, report, case, detail=f"api pdf v{number} full"
        )
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{doc.filename}"'
        response["Cache-Control"] = "no-store, private"
        return response


# --- Monitoring -----------------------------------------------------------------------------


FIRST_DAY, LAST_DAY = figures.PERIOD_FIRST_DAY, figures.PERIOD_LAST_DAY


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)

    def validate(self, attrs):
        end = attrs.get("end") or timezone.localdate()
        start = attrs.get("start") or add_months(end, -12) + dt.timedelta(days=1)
        if start > end:
            raise serializers.ValidationError({"start": "The start must be before the end."})
        for name, day in (("start", start), ("end", end)):
            if not FIRST_DAY <= day <= LAST_DAY:
                raise serializers.ValidationError(
                    {name: f"Give a date from {FIRST_DAY} to {LAST_DAY}."}
                )
        return {"start": start, "end": end}


def _shown_table(table: figures.Table) -> dict:
    """A table as the CSV export shows it: small cells suppressed, means only over enough."""
    return {
        "key": table.key,
        "title": str(table.title),
        "columns": [str(c) for c in table.columns],
        "rows": [
            {
                "key": row.key,
                "label": str(row.label),
                "value": figures.shown_row(row),
                "percent": figures.shown_percent(row),
                "columns": {str(c): figures.shown(row.columns.get(c)) for c in table.columns},
            }
            for row in table.rows
        ],
    }


class MonitoringFigures(APIView):
    """The team's monitoring figures for a period (default: the last twelve months), with
    the small-cell suppression of the CSV exports."""

    read_scope = Scope.MONITORING_READ

    @extend_schema(parameters=[PeriodSerializer], responses=s.FiguresSerializer)
    def get(self, request):
        params = PeriodSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        period = figures.Period(params.validated_data["start"], params.validated_data["end"])
        team = request.auth.team
        tables = [_shown_table(t) for t in every_table([team.pk], period)]
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.EXPORT,
            team_id=team.pk,
            detail=f"api monitoring {period.start}..{period.end} teams [{team.pk}]",
        )
        return Response(
            {
                "team": team.code,
                "start": period.start,
                "end": period.end,
                "suppressed_below": figures.threshold(),
                "tables": tables,
            }
        )
