"""The three eligibility rule sets the product ships with (data, not code).

Sources: YJB practice guidance (2020/21) for ECM; the Cordis Bright evaluation of the Welsh
trial (criteria of 2014 and their amendment of May 2015).
"""

import datetime as dt

from django.db import migrations

COMPLEX = {"min_indicators": 2}

RULE_SETS = [
    {
        "code": "yjb-2020",
        "version": 1,
        "name": "YJB practice guidance (2020)",
        "source": "YJB, Enhanced Case Management: practice guidance for YOTs",
        "effective_from": dt.date(2020, 1, 1),
        "is_active": True,
        "description": (
            "Complex needs; an out-of-court disposal, community order, or the licence period "
            "of a detention and training order; at least six months of YOT involvement "
            "(statutory, voluntary or both). Prevention and custody cases are excluded. "
            "Complex needs are suggested as met from two complexity indicators."
        ),
        "criteria": [
            ("complex-needs", "Evidence of complex needs", "complex_needs", COMPLEX),
            (
                "disposal",
                "An out-of-court disposal, a community order, or the licence period of a "
                "detention and training order",
                "disposal",
                {"groups": ["out_of_court", "community", "dto_licence"]},
            ),
            (
                "not-excluded",
                "Not a prevention case and not sentenced to custody",
                "excluded",
                {"groups": ["prevention", "custody"]},
            ),
            (
                "six-months",
                "At least six months' involvement with the YOT (statutory, voluntary or both)",
                "involvement",
                {"months": 6, "allow_voluntary": True},
            ),
        ],
    },
    {
        "code": "welsh-trial",
        "version": 1,
        "name": "Welsh ECM trial (2014)",
        "source": "Cordis Bright evaluation of ECM in Wales, original criteria",
        "effective_from": dt.date(2014, 1, 1),
        "is_active": False,
        "description": (
            "Five or more offences in the 12 months before referral; evident complexity; "
            "a current statutory order with at least six months to run. Superseded in May "
            "2015; kept so earlier checks stay readable."
        ),
        "criteria": [
            (
                "offences",
                "Five or more offences in the 12 months before referral",
                "offences",
                {"count": 5, "window_months": 12},
            ),
            ("complexity", "Evident complexity", "complex_needs", COMPLEX),
            (
                "statutory-six-months",
                "A current statutory order with at least six months to run",
                "involvement",
                {"months": 6, "statutory_groups": ["statutory"], "allow_voluntary": False},
            ),
        ],
    },
    {
        "code": "welsh-trial",
        "version": 2,
        "name": "Welsh ECM trial (amended May 2015)",
        "source": "Cordis Bright evaluation of ECM in Wales, amended criteria",
        "effective_from": dt.date(2015, 5, 1),
        "is_active": True,
        "description": (
            "Five or more offences in the 24 months before referral; evident complexity; a "
            "current statutory order with at least six months to run, or a shorter order "
            "made up to six months by a voluntary period the child and family agree."
        ),
        "criteria": [
            (
                "offences",
                "Five or more offences in the 24 months before referral",
                "offences",
                {"count": 5, "window_months": 24},
            ),
            ("complexity", "Evident complexity", "complex_needs", COMPLEX),
            (
                "statutory-six-months",
                "A current statutory order with at least six months to run, or a shorter "
                "order with an agreed voluntary period making it up to six months",
                "involvement",
                {"months": 6, "statutory_groups": ["statutory"], "allow_voluntary": True},
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
        rule_set, _ = RuleSet.objects.update_or_create(
            code=spec.pop("code"), version=spec.pop("version"), defaults=spec
        )
        for order, (code, text, kind, params) in enumerate(criteria, start=1):
            Criterion.objects.update_or_create(
                rule_set=rule_set,
                code=code,
                defaults={"order": order, "text": text, "kind": kind, "params": params},
            )


def unload(apps, schema_editor):
    apps.get_model("referrals", "RuleSet").objects.filter(
        code__in=["yjb-2020", "welsh-trial"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
