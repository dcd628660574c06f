"""Bulk import of children and offences from a YOT system's CSV export (issue 21): the file's
variants and errors, the preview, idempotency, the one transaction, the audit rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ecm.audit import audit_chain_verify
from ecm.models import AuditEvent, Case, CaseStatus, Child, ChildCorrection
from referrals.imports import services
from referrals.imports.parsing import parse
from referrals.models import Offence
from tests.factories import CaseFactory, ChildFactory

HEADER = (
    "yot_reference,first_name,last_name,date_of_birth,gender,ethnicity,pnc_number,"
    "offence_date,offence_type,disposal\n"
)
ROWS = (
    "Y001,Ffion,Evans,14/03/2010,F,WBRI,19/1234567X,01/02/2024,Theft from a shop,Youth caution\n"
    "Y001,Ffion,Evans,14/03/2010,F,WBRI,19/1234567X,2024-05-20,Criminal damage,Referral order\n"
    "Y002,Dylan,Jones,2009-11-02,M,MWBC,,03/06/2024,Assault,YRO\n"
    "Y003,Siân,Hughes,01/01/2011,female,white_irish,,,,\n"
)
CSV = (HEADER + ROWS).encode()


@pytest.fixture(autouse=True)
def _no_files_left(db):
    """Uploads this test kept (a preview never confirmed) leave the private media folder."""
    yield
    from referrals.models import ChildImport

    for job in ChildImport.objects.exclude(file=""):
        job.file.delete(save=False)


def snapshot() -> tuple[int, int, int, int, int]:
    return (
        Child.objects.count(),
        Case.objects.count(),
        Offence.objects.count(),
        ChildCorrection.objects.count(),
        AuditEvent.objects.count(),
    )


def apply(world, data=CSV, **kw):
    return services.import_apply(actor=world.senior, team=world.yot_a, data=data, **kw)


def refused(world, data, **kw) -> str:
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        apply(world, data, **kw)
    assert snapshot() == before  # nothing written
    return " ".join(exc.value.messages)


def test_import_creates_children_cases_and_offences(world):
    counts = apply(world)
    assert counts == {
        "rows": 4,
        "rows_with_errors": 0,
        "children_created": 3,
        "children_updated": 0,
        "children_unchanged": 0,
        "children_not_updated_case_ended": 0,
        "offences_added": 3,
        "offences_already_recorded": 0,
    }
    ffion = Child.objects.get(yot_reference="Y001")
    assert (ffion.first_name, ffion.date_of_birth, ffion.gender) == (
        "Ffion",
        dt.date(2010, 3, 14),
        "female",
    )
    assert ffion.pnc_number == "19/1234567X" and ffion.ethnicity == "white_british"
    case = ffion.cases.get()
    assert case.team == world.yot_a and case.status == CaseStatus.POTENTIAL
    assert case.case_manager is None
    assert [(o.date, o.offence_type, o.disposal) for o in case.offences.all()] == [
        (dt.date(2024, 2, 1), "Theft from a shop", "Youth caution"),
        (dt.date(2024, 5, 20), "Criminal damage", "Referral order"),
    ]
    assert Child.objects.get(yot_reference="Y003").first_name == "Siân"
    assert not Offence.objects.filter(case__child__yot_reference="Y003").exists()
    # One row for the import (counts, no names) and the usual creation rows.
    summary = AuditEvent.objects.get(detail__startswith="bulk import:")
    assert "children_created 3" in summary.detail and "Ffion" not in summary.detail
    assert summary.team_id == world.yot_a.pk and summary.actor == world.senior
    created = AuditEvent.objects.filter(detail="bulk import", action="create")
    assert created.filter(object_type="ecm.child").count() == 3
    assert created.filter(object_type="ecm.case").count() == 3
    assert created.filter(object_type="referrals.offence").count() == 3
    assert created.filter(child=ffion).count() == 4
    assert not AuditEvent.objects.filter(object_label__contains="Ffion").exists()
    assert audit_chain_verify().ok


def test_importing_the_same_file_twice_changes_nothing_the_second_time(world):
    apply(world)
    before = snapshot()
    counts = apply(world)
    assert counts["children_created"] == 0 and counts["children_updated"] == 0
    assert counts["children_unchanged"] == 3 and counts["offences_added"] == 0
    assert counts["offences_already_recorded"] == 3
    after = snapshot()
    assert after[:4] == before[:4]
    assert after[4] == before[4] + 1  # only the import's own audit row


def test_a_known_child_is_updated_not_duplicated_and_offences_go_on_its_open_case(world):
    child = ChildFactory(yot_reference="Y002", first_name="Dillon", last_name="Jones")
    case = CaseFactory(child=child, team=world.yot_a, status="active")
    Offence.objects.create(case=case, date=dt.date(2024, 6, 3), offence_type="ASSAULT ")
    counts = apply(world)
    assert counts["children_created"] == 2 and counts["children_updated"] == 1
    assert counts["offences_already_recorded"] == 1  # same child, date and type
    child.refresh_from_db()
    assert child.first_name == "Dylan" and child.version == 2
    assert Child.objects.filter(yot_reference="Y002").count() == 1
    assert case.offences.count() == 1
    correction = ChildCorrection.objects.get(child=child)
    changed = {c["field"] for c in correction.changes}
    assert "first_name" in changed and correction.case == case
    assert AuditEvent.objects.filter(child=child, action="update", detail="bulk import").exists()


def test_a_child_of_another_team_with_the_same_reference_is_not_touched(world):
    other = CaseFactory(team=world.yot_b, child=ChildFactory(yot_reference="Y001"))
    apply(world)
    assert Child.objects.filter(yot_reference="Y001").count() == 2
    assert other.offences.count() == 0


def test_offences_of_a_child_whose_cases_ended_go_on_the_latest_case(world):
    child = ChildFactory(yot_reference="Y002", first_name="Dylan", last_name="Jones")
    child.date_of_birth = dt.date(2009, 11, 2)
    child.ethnicity = "mixed_white_black_caribbean"
    child.save()
    old = CaseFactory(
        child=child, team=world.yot_a, status="closed", closed_on=timezone.localdate()
    )
    counts = apply(world)
    assert counts["children_unchanged"] == 1
    assert old.offences.count() == 1 and child.cases.count() == 1


def test_a_child_whose_episodes_ended_is_not_updated_but_gets_its_offences(world):
    child = ChildFactory(yot_reference="Y002", first_name="Dillon", last_name="Jones")
    old = CaseFactory(
        child=child, team=world.yot_a, status="closed", closed_on=timezone.localdate()
    )
    plan = services.import_plan(team=world.yot_a, data=CSV)
    assert plan.counts()["children_not_updated_case_ended"] == 1 and not plan.updates
    apply(world)
    child.refresh_from_db()
    assert child.first_name == "Dillon" and child.version == 1
    assert old.offences.count() == 1 and not ChildCorrection.objects.filter(child=child).exists()


def test_preview_matches_what_the_import_does(world):
    CaseFactory(team=world.yot_a, child=ChildFactory(yot_reference="Y002"))
    plan = services.import_plan(team=world.yot_a, data=CSV)
    before = snapshot()
    counts = apply(world)
    assert plan.counts() == counts
    after = snapshot()
    assert after[0] - before[0] == len(plan.creates)
    assert after[2] - before[2] == plan.new_offences
    assert after[3] - before[3] == len(plan.updates)


# --- The file's variants ----------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbf" + CSV,  # UTF-8 with a byte order mark
        CSV.replace(b",", b";"),  # semicolons (a spreadsheet in a comma-decimal locale)
        CSV.replace(b"\n", b"\r\n"),  # Windows line ends
    ],
    ids=["bom", "semicolon", "crlf"],
)
def test_usual_variants_are_read(world, data):
    parsed = parse(data, today=timezone.localdate())
    assert [r.errors for r in parsed.rows] == [[], [], [], []]
    assert parsed.rows[3].first_name == "Siân" and parsed.encoding == "utf-8"


def test_windows_1252_is_read_with_a_notice(world):
    data = (HEADER + ROWS).encode("cp1252")
    plan = services.import_plan(team=world.yot_a, data=data)
    assert "read as Windows-1252" in plan.notices[0]
    apply(world, data)
    assert Child.objects.get(yot_reference="Y003").first_name == "Siân"


# --- Errors: each with its message, and nothing written -----------------------------------


def test_utf16_file_is_refused(world):
    assert "UTF-16" in refused(world, (HEADER + ROWS).encode("utf-16"))


def test_undecodable_bytes_are_refused(world):
    assert "neither UTF-8 nor Windows-1252" in refused(world, CSV + b"Y9,A,B,\x81\x8d\n")


def test_missing_column_is_refused(world):
    data = CSV.replace(b",date_of_birth,", b",birthday,")
    message = refused(world, data)
    assert "The file has no column “date_of_birth”" in message and "“birthday”" in message


def test_malformed_csv_is_refused(world):
    data = (
        HEADER + 'Y001,"Ffion,Evans,14/03/2010,F,WBRI,,,,\nY002,"x"y,a,b,c,d,e,f,g,h\n'
    ).encode()
    assert "not a well-formed CSV file" in refused(world, data)


def test_a_row_with_too_many_fields_is_an_error(world):
    message = refused(world, (HEADER + "Y001,a,b,01/01/2010,M,WBRI,,,,,extra\n").encode())
    assert "Row 2: it has 11 fields where the header has 10" in message


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("Y1,A,B,31/02/2010,M,WBRI,,,,", "Row 2: date of birth '31/02/2010' is not a date"),
        (
            "Y1,A,B,2010.02.01,M,WBRI,,,,",
            "Row 2: date of birth '2010.02.01' is not written DD/MM/YYYY or YYYY-MM-DD",
        ),
        ("Y1,A,B,01/02/2010,Q,WBRI,,,,", "Row 2: gender 'Q' is not a code we know"),
        ("Y1,A,B,01/02/2010,M,ZZZZ,,,,", "Row 2: ethnicity 'ZZZZ' is not a code we know"),
        ("Y1,A,B,01/02/2010,M,WBRI,12345,,,", "Row 2: PNC number '12345' is not in the form"),
        ("Y1,A,B,01/02/2010,M,WBRI,,13/13/2024,Theft,", "Row 2: offence date '13/13/2024' is not"),
        ("Y1,A,B,01/02/2010,M,WBRI,,01/01/2009,Theft,", "before the date of birth"),
        ("Y1,A,B,01/02/2010,M,WBRI,,01/01/2024,,", "Row 2: the offence dated 01/01/2024 has no"),
        ("Y1,A,B,01/02/2010,M,WBRI,,31/01/2020,Theft,", "before the child's 10th birthday"),
        (",A,B,01/02/2010,M,WBRI,,,,", "Row 2: the YOT reference is missing"),
    ],
    ids=[
        "impossible-date",
        "date-format",
        "gender",
        "ethnicity",
        "pnc",
        "offence-date",
        "offence-before-birth",
        "no-type",
        "under-ten",
        "no-reference",
    ],
)
def test_row_errors_are_in_words_and_block_the_import(world, row, message):
    data = (HEADER + ROWS + row + "\n").encode()
    plan = services.import_plan(team=world.yot_a, data=data)
    assert plan.error_rows == 1 and plan.errors[0].startswith("Row 6:")
    assert message.replace("Row 2", "Row 6") in plan.errors[0]
    assert "1 row has errors" in refused(world, data)


def test_valid_rows_only_when_chosen(world):
    data = (HEADER + ROWS + "Y9,A,B,31/02/2010,M,WBRI,,,,\n").encode()
    counts = apply(world, data, skip_invalid=True)
    assert counts["rows_with_errors"] == 1 and counts["children_created"] == 3
    assert not Child.objects.filter(yot_reference="Y9").exists()


def test_a_child_whose_rows_disagree_is_an_error(world):
    data = (HEADER + ROWS + "Y002,Dylan,Jones,2009-11-03,M,MWBC,,04/06/2024,Theft,\n").encode()
    plan = services.import_plan(team=world.yot_a, data=data)
    assert plan.errors == [
        "Row 6: date of birth not the same as on row 4 for the same YOT reference 'Y002'"
    ]


def test_records_changed_since_the_preview_refuse_the_import(world):
    expected = services.import_plan(team=world.yot_a, data=CSV).counts()
    CaseFactory(team=world.yot_a, child=ChildFactory(yot_reference="Y001"))
    assert "changed since the preview" in refused(world, CSV, expected=expected)


def test_a_case_manager_cannot_import(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.import_apply(actor=world.case_manager, team=world.yot_a, data=CSV)
    with pytest.raises(PermissionDenied):
        services.import_apply(actor=world.other_senior, team=world.yot_a, data=CSV)
