"""The 2020 criteria as used in England (data, not code), alongside the shipped sets.

Source: ORS evaluation of ECM in four youth justice services in South West England (phase
one, 2019-22), which lists the YJB's 2020 criteria as the services applied them: previously
offended; evidence of complex needs; evidence of ACEs; a statutory court order in the
community (prioritised), an out-of-court disposal only in exceptional cases; at least six
months left on the order, or voluntary involvement agreed with the child; children in
custody are not eligible.
"""

import datetime as dt

from django.db import migrations

RULE_SETS = [
    {
        "code": "england-2020",
        "version": 1,
        "name": "YJB criteria (2020) as used in England",
        "source": "ORS evaluation of ECM in four youth justice services in England (2019-22)",
        "effective_from": dt.date(2019, 9, 30),
        "is_active": True,
        "description": (
            "Previously offended; evidence of complex needs; evidence of adverse childhood "
            "experiences; a statutory court order in the community (an out-of-court disposal "
            "only in exceptional cases); at least six months left on the order, or a "
            "voluntary period agreed with the child. Children in custody are not eligible. "
            "Complex needs are suggested as met from two complexity indicators, ACEs from one "
            "(emotional abuse counts as an ACE here)."
        ),
        "criteria": [
            (
                "previously-offended",
                "The child has previously offended",
                "previously_offended",
                {},
            ),
            ("complex-needs", "Evidence of complex needs", "complex_needs", {"min_indicators": 2}),
            (
                "aces",
                "Evidence of adverse childhood experiences (ACEs)",
                "aces",
                {"min_aces": 1, "extra_fields": ["cx_emotional_abuse"]},
            ),
            (
                "community-order",
                "A statutory court order in the community; an out-of-court disposal or other "
                "diversionary programme only in exceptional cases",
                "disposal",
                {"groups": ["community", "dto_licence"], "exceptional_groups": ["out_of_court"]},
            ),
            (
                "not-custody",
                "Not in custody, and not a prevention case",
                "excluded",
                {"groups": ["custody", "prevention"]},
            ),
            (
                "six-months",
                "A minimum of six months left on the order (or voluntary, if agreed with the child)",
                "involvement",
                {"months": 6, "allow_voluntary": True},
            ),
        ],
    },
]


def load(apps, schema_editor):
    RuleSet = apps.get_model("referrals", "RuleSet")
    Criterion = apps.get_model("referrals", "Criterion")
    for spec in RULE_SETS:
        spec = dict(spec)
        criteria = spec.pop("criteria")
        rule_set, _ = RuleSet.objects.get_or_create(
            code=spec.pop("code"), version=spec.pop("version"), defaults=spec
        )
        for order, (code, text, kind, params) in enumerate(criteria, start=1):
            Criterion.objects.get_or_create(
                rule_set=rule_set,
                code=code,
                defaults={"order": order, "text": text, "kind": kind, "params": params},
            )


def unload(apps, schema_editor):
    RuleSet = apps.get_model("referrals", "RuleSet")
    RuleSet.objects.filter(code="england-2020", checks__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("referrals", "0005_risk_points")]
    operations = [migrations.RunPython(load, unload)]
