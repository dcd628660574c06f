import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from referrals import services
from referrals.demo import minimal_pdf
from referrals.models import ACE_FIELDS, COMPLEXITY_CPN, COMPLEXITY_YND, Offence
from tests.conftest import reload_migration_data
from tests.factories import CaseFactory


def full_answers() -> dict:
    """A complete referral: every field answered, some with "don't know"."""
    today = timezone.localdate()
    data = {
        "contact_number": "01632 960123",
        "referral_date": today,
        "reason": "Escalating offending after a placement breakdown.",
        "why_ecm": "Professionals need a shared understanding to sequence the work.",
        "disposal": "yro",
        "order_start_date": today - dt.timedelta(days=20),
        "order_length_months": 12,
        "voluntary_months_agreed": 0,
        "previous_interventions": 2,
        "repeat_offender": True,
        "risk_reoffending": 3,
        "risk_harm_self": 2,
        "risk_harm_others": 1,
    }
    for i, (name, _label) in enumerate(COMPLEXITY_CPN):
        data[name] = ["current", "previous", "never", "never"][i]
    for i, (name, _label) in enumerate(COMPLEXITY_YND):
        data[name] = ["yes", "no", "dont_know"][i % 3]
    for i, name in enumerate(ACE_FIELDS):
        data[name] = ["dont_know", "yes", "no"][i % 3]
    return data


def pdf_upload(name="AssetPlus.pdf"):
    return SimpleUploadedFile(name, minimal_pdf("AssetPlus test"), "application/pdf")


@pytest.fixture
def shipped_rule_sets(django_db_blocker):
    """The rule sets the data migration installs. Tests on a live server or with
    transaction=True flush the database between tests, so they ask for them again."""
    reload_migration_data(django_db_blocker, "referrals.migrations.0002_rule_sets")
    reload_migration_data(django_db_blocker, "referrals.migrations.0006_england_2020_rule_set")


@pytest.fixture
def potential_case(world):
    return CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="potential")


@pytest.fixture
def submitted(world, potential_case):
    """A complete referral, submitted to the central team."""
    case = potential_case
    services.referral_mark_ready(actor=world.case_manager, case=case)
    referral = services.referral_start(actor=world.case_manager, case=case)
    referral = services.referral_save(
        actor=world.case_manager, referral=referral, data=full_answers(), upload=pdf_upload()
    )
    for days in (10, 40, 70, 100, 130):
        Offence.objects.create(
            case=case, date=timezone.localdate() - dt.timedelta(days=days), offence_type="Theft"
        )
    return services.referral_submit(actor=world.case_manager, referral=referral)


DOCX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
DOCX_DOCUMENT = (
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>AssetPlus test</w:t></w:r></w:p></w:body></w:document>"
)


def docx_bytes(extra: dict[str, str | bytes] | None = None, content_types=DOCX_CONTENT_TYPES):
    """A minimal Office Open XML Word document; `extra` adds parts (name -> content)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("word/document.xml", DOCX_DOCUMENT)
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()
