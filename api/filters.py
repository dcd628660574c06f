from __future__ import annotations

import django_filters

from ecm.models import Case, CaseStatus, Child


class ChildFilter(django_filters.FilterSet):
    yot_reference = django_filters.CharFilter(field_name="yot_reference")
    pnc_number = django_filters.CharFilter(field_name="pnc_number")

    class Meta:
        model = Child
        fields = ["yot_reference", "pnc_number"]


class CaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices)
    child = django_filters.NumberFilter(field_name="child_id")
    yot_reference = django_filters.CharFilter(field_name="child__yot_reference")
    pnc_number = django_filters.CharFilter(field_name="child__pnc_number")

    class Meta:
        model = Case
        fields = ["status", "child", "yot_reference", "pnc_number"]
