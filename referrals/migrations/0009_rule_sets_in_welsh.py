"""The eligibility rule sets' words in Welsh and English (issue 23): a column per language
(django-modeltranslation); the English columns take today's text, and the shipped rule sets
get their Welsh (a draft not yet reviewed by a fluent speaker: docs/glossary-cy.md)."""

from django.db import migrations, models
from django.db.models import F

WELSH = {
    ("yjb-2020", 1): {
        "name": "Canllawiau ymarfer BCI (2020)",
        "source": "BCI, Rheoli Achosion Gwell: canllawiau ymarfer ar gyfer TTIau",
        "description": (
            "Anghenion cymhleth; gwarediad y tu allan i'r llys, gorchymyn cymunedol, neu gyfnod "
            "trwydded gorchymyn cadw a hyfforddi; o leiaf chwe mis o ymwneud â'r TTI (statudol, "
            "gwirfoddol neu'r ddau). Ni chynhwysir achosion atal nac achosion o garchar. "
            "Awgrymir bod anghenion cymhleth wedi'u bodloni o ddau ddangosydd cymhlethdod."
        ),
        "criteria": {
            "complex-needs": "Tystiolaeth o anghenion cymhleth",
            "disposal": (
                "Gwarediad y tu allan i'r llys, gorchymyn cymunedol, neu gyfnod trwydded "
                "gorchymyn cadw a hyfforddi"
            ),
            "not-excluded": "Nid achos atal, ac nid wedi'i ddedfrydu i garchar",
            "six-months": ("O leiaf chwe mis o ymwneud â'r TTI (statudol, gwirfoddol neu'r ddau)"),
        },
    },
    ("welsh-trial", 1): {
        "name": "Treial ECM Cymru (2014)",
        "source": "Gwerthusiad Cordis Bright o ECM yng Nghymru, y meini prawf gwreiddiol",
        "description": (
            "Pump neu fwy o droseddau yn y 12 mis cyn yr atgyfeiriad; cymhlethdod amlwg; "
            "gorchymyn statudol cyfredol ag o leiaf chwe mis i fynd. Disodlwyd ym mis Mai "
            "2015; fe'u cedwir fel bod modd darllen gwiriadau cynharach o hyd."
        ),
        "criteria": {
            "offences": "Pump neu fwy o droseddau yn y 12 mis cyn yr atgyfeiriad",
            "complexity": "Cymhlethdod amlwg",
            "statutory-six-months": "Gorchymyn statudol cyfredol ag o leiaf chwe mis i fynd",
        },
    },
    ("welsh-trial", 2): {
        "name": "Treial ECM Cymru (diwygiwyd Mai 2015)",
        "source": "Gwerthusiad Cordis Bright o ECM yng Nghymru, y meini prawf diwygiedig",
        "description": (
            "Pump neu fwy o droseddau yn y 24 mis cyn yr atgyfeiriad; cymhlethdod amlwg; "
            "gorchymyn statudol cyfredol ag o leiaf chwe mis i fynd, neu orchymyn byrrach a "
            "wneir hyd at chwe mis gan gyfnod gwirfoddol y mae'r plentyn a'r teulu'n cytuno "
            "arno."
        ),
        "criteria": {
            "offences": "Pump neu fwy o droseddau yn y 24 mis cyn yr atgyfeiriad",
            "complexity": "Cymhlethdod amlwg",
            "statutory-six-months": (
                "Gorchymyn statudol cyfredol ag o leiaf chwe mis i fynd, neu orchymyn byrrach "
                "â chyfnod gwirfoddol y cytunwyd arno sy'n ei wneud hyd at chwe mis"
            ),
        },
    },
    ("england-2020", 1): {
        "name": "Meini prawf BCI (2020) fel y'u defnyddir yn Lloegr",
        "source": (
            "Gwerthusiad ORS o ECM mewn pedwar gwasanaeth cyfiawnder ieuenctid yn Lloegr (2019-22)"
        ),
        "description": (
            "Wedi troseddu o'r blaen; tystiolaeth o anghenion cymhleth; tystiolaeth o "
            "brofiadau niweidiol yn ystod plentyndod; gorchymyn llys statudol yn y gymuned "
            "(gwarediad y tu allan i'r llys mewn achosion eithriadol yn unig); o leiaf chwe mis "
            "ar ôl ar y gorchymyn, neu gyfnod gwirfoddol y cytunwyd arno gyda'r plentyn. Nid "
            "yw plant yn y ddalfa yn gymwys. Awgrymir bod anghenion cymhleth wedi'u bodloni o "
            "ddau ddangosydd cymhlethdod, ACEs o un (mae cam-drin emosiynol yn cyfrif fel ACE "
            "yma)."
        ),
        "criteria": {
            "previously-offended": "Mae'r plentyn wedi troseddu o'r blaen",
            "complex-needs": "Tystiolaeth o anghenion cymhleth",
            "aces": "Tystiolaeth o brofiadau niweidiol yn ystod plentyndod (ACEs)",
            "community-order": (
                "Gorchymyn llys statudol yn y gymuned; gwarediad y tu allan i'r llys neu "
                "raglen ddargyfeirio arall mewn achosion eithriadol yn unig"
            ),
            "not-custody": "Nid yn y ddalfa, ac nid achos atal",
            "six-months": (
                "O leiaf chwe mis ar ôl ar y gorchymyn (neu'n wirfoddol, os cytunir gyda'r plentyn)"
            ),
        },
    },
}


def both_languages(apps, schema_editor):
    RuleSet = apps.get_model("referrals", "RuleSet")
    Criterion = apps.get_model("referrals", "Criterion")
    RuleSet.objects.update(
        name_en_gb=F("name"), source_en_gb=F("source"), description_en_gb=F("description")
    )
    Criterion.objects.update(text_en_gb=F("text"))
    for (code, version), welsh in WELSH.items():
        rule_set = RuleSet.objects.filter(code=code, version=version).first()
        if rule_set is None:
            continue
        RuleSet.objects.filter(pk=rule_set.pk).update(
            name_cy=welsh["name"], source_cy=welsh["source"], description_cy=welsh["description"]
        )
        for criterion_code, text in welsh["criteria"].items():
            Criterion.objects.filter(rule_set=rule_set, code=criterion_code).update(text_cy=text)


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0008_child_import"),
    ]

    operations = [
        migrations.AddField(
            model_name="criterion",
            name="text_cy",
            field=models.CharField(max_length=255, null=True, verbose_name="criterion"),
        ),
        migrations.AddField(
            model_name="criterion",
            name="text_en_gb",
            field=models.CharField(max_length=255, null=True, verbose_name="criterion"),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="description_cy",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="description_en_gb",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="name_cy",
            field=models.CharField(max_length=150, null=True, verbose_name="name"),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="name_en_gb",
            field=models.CharField(max_length=150, null=True, verbose_name="name"),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="source_cy",
            field=models.CharField(blank=True, max_length=255, null=True, verbose_name="source"),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="source_en_gb",
            field=models.CharField(blank=True, max_length=255, null=True, verbose_name="source"),
        ),
        migrations.RunPython(both_languages, migrations.RunPython.noop),
    ]
