from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ecm.models import Case, CaseStatus, Child
from formulation.report.models import ReportVersion
from referrals.models import Offence, Referral
from reviews.models import Action, Contact, Review


class ChildSerializer(serializers.ModelSerializer):
    cases = serializers.SerializerMethodField()

    class Meta:
        model = Child
        fields = [
            "id",
            "yot_reference",
            "pnc_number",
            "first_name",
            "last_name",
            "preferred_name",
            "date_of_birth",
            "cases",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_cases(self, child) -> list[int]:
        # The episodes this token may see (prefetched by the view, already scoped).
        return [c.pk for c in getattr(child, "visible_cases", [])]


class CaseSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    team = serializers.CharField(source="team.code", read_only=True)
    status = serializers.ChoiceField(choices=CaseStatus.choices, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    yot_reference = serializers.CharField(source="child.yot_reference", read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "child",
            "yot_reference",
            "team",
            "status",
            "status_label",
            "status_changed_at",
            "opened_on",
            "ecm_started_on",
            "closed_on",
            "closure_reason",
        ]


class OffenceSerializer(serializers.ModelSerializer):
    gravity = serializers.IntegerField(min_value=1, max_value=8, required=False, allow_null=True)
    disposal = serializers.CharField(max_length=120, required=False, allow_blank=True)

    class Meta:
        model = Offence
        fields = ["id", "case", "date", "offence_type", "disposal", "gravity"]
        read_only_fields = ["id", "case"]


class ContactSerializer(serializers.ModelSerializer):
    outcome = serializers.CharField(required=False, allow_blank=True)

    class Meta:
        model = Contact
        fields = ["id", "case", "date", "kind", "purpose", "trm_stage", "outcome", "created_at"]
        read_only_fields = ["id", "case", "created_at"]
        extra_kwargs = {"trm_stage": {"required": False, "allow_null": True}}


class ActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Action
        fields = [
            "id",
            "case",
            "description",
            "owner_agency",
            "owner_name",
            "due_on",
            "status",
            "completed_on",
            "created_at",
        ]


class ReferralSerializer(serializers.ModelSerializer):
    """The referral as the senior practitioners decided on it: dates, order, risks and the
    referrer's words (the AssetPlus upload itself is not served by the API)."""

    class Meta:
        model = Referral
        fields = [
            "case",
            "status",
            "referral_date",
            "submitted_at",
            "decided_at",
            "waiting_since",
            "reason",
            "why_ecm",
            "disposal",
            "order_start_date",
            "order_length_months",
            "voluntary_months_agreed",
            "previous_interventions",
            "repeat_offender",
            "risk_reoffending",
            "risk_harm_self",
            "risk_harm_others",
            "significant_concern",
        ]


class ReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = Review
        fields = ["id", "case", "kind", "held_on", "reoffended"]


class ReportVersionSerializer(serializers.ModelSerializer):
    pdf = serializers.SerializerMethodField()

    class Meta:
        model = ReportVersion
        fields = ["number", "finalised_at", "reason", "approved_by", "pdf"]

    def get_pdf(self, version) -> str:
        from django.urls import reverse

        url = reverse(
            "api:report_pdf", kwargs={"pk": version.report.case_id, "number": version.number}
        )
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class FigureRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.CharField(help_text="As in the CSV export: small cells read “<5”.")
    percent = serializers.CharField(allow_blank=True)
    columns = serializers.DictField(child=serializers.CharField())


class FigureTableSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = FigureRowSerializer(many=True)


class FiguresSerializer(serializers.Serializer):
    team = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    suppressed_below = serializers.IntegerField()
    tables = FigureTableSerializer(many=True)
