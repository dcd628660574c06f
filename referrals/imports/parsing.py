"""Reading a YOT system's CSV export into rows, with every problem in words. No database.

One row per offence; a child is repeated on each of its offences (a row with neither an
offence date nor a type records the child alone). Row numbers are those a spreadsheet shows:
the header is row 1, the first child row 2.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ecm.dates import nth_birthday
from ecm.models import Ethnicity, Gender, pnc_validator

#: Every column, in the order the documentation lists them; True: the column must be there.
COLUMNS: dict[str, bool] = {
    "yot_reference": True,
    "first_name": True,
    "last_name": True,
    "date_of_birth": True,
    "gender": True,
    "ethnicity": False,
    "pnc_number": False,
    "offence_date": True,
    "offence_type": True,
    "disposal": False,
    "gravity": False,
}
REQUIRED_COLUMNS = [name for name, required in COLUMNS.items() if required]
#: Other spellings of a header seen in exports ("DOB", "PNC").
HEADER_ALIASES = {
    "yot_ref": "yot_reference",
    "reference": "yot_reference",
    "forename": "first_name",
    "surname": "last_name",
    "dob": "date_of_birth",
    "sex": "gender",
    "pnc": "pnc_number",
    "outcome": "disposal",
    "gravity_score": "gravity",
}
#: How each column is named in a message.
COLUMN_LABELS = {
    "yot_reference": gettext_lazy("YOT reference"),
    "first_name": gettext_lazy("first name"),
    "last_name": gettext_lazy("last name"),
    "date_of_birth": gettext_lazy("date of birth"),
    "gender": gettext_lazy("gender"),
    "ethnicity": gettext_lazy("ethnicity"),
    "pnc_number": gettext_lazy("PNC number"),
    "offence_date": gettext_lazy("offence date"),
    "offence_type": gettext_lazy("offence type"),
    "disposal": gettext_lazy("disposal"),
    "gravity": gettext_lazy("gravity"),
}
MAX_ROWS = 100_000

GENDER_CODES = {
    **{g.value: g.value for g in Gender},
    "m": Gender.MALE,
    "boy": Gender.MALE,
    "1": Gender.MALE,
    "f": Gender.FEMALE,
    "girl": Gender.FEMALE,
    "2": Gender.FEMALE,
    "o": Gender.OTHER,
    "x": Gender.OTHER,
    "non-binary": Gender.OTHER,
    "nonbinary": Gender.OTHER,
    "u": Gender.NOT_KNOWN,
    "0": Gender.NOT_KNOWN,
    "unknown": Gender.NOT_KNOWN,
    "not known": Gender.NOT_KNOWN,
    "": Gender.NOT_KNOWN,
}
#: The DfE / YJB four-letter ethnicity codes most case management systems export.
ETHNICITY_CODES = {
    "wbri": Ethnicity.WHITE_BRITISH,
    "wiri": Ethnicity.WHITE_IRISH,
    "wirt": Ethnicity.WHITE_GYPSY_TRAVELLER,
    "wgyp": Ethnicity.WHITE_GYPSY_TRAVELLER,
    "wrom": Ethnicity.WHITE_ROMA,
    "woth": Ethnicity.WHITE_OTHER,
    "mwbc": Ethnicity.MIXED_WHITE_BLACK_CARIBBEAN,
    "mwba": Ethnicity.MIXED_WHITE_BLACK_AFRICAN,
    "mwas": Ethnicity.MIXED_WHITE_ASIAN,
    "moth": Ethnicity.MIXED_OTHER,
    "aind": Ethnicity.ASIAN_INDIAN,
    "apkn": Ethnicity.ASIAN_PAKISTANI,
    "aban": Ethnicity.ASIAN_BANGLADESHI,
    "aoth": Ethnicity.ASIAN_OTHER,
    "chne": Ethnicity.ASIAN_CHINESE,
    "bcrb": Ethnicity.BLACK_CARIBBEAN,
    "bafr": Ethnicity.BLACK_AFRICAN,
    "both": Ethnicity.BLACK_OTHER,
    "oarb": Ethnicity.OTHER_ARAB,
    "ooth": Ethnicity.OTHER_ANY,
    "nobt": Ethnicity.NOT_STATED,
    "refu": Ethnicity.NOT_STATED,
    "": Ethnicity.NOT_STATED,
}
for _e in Ethnicity:
    ETHNICITY_CODES[_e.value] = _e
    ETHNICITY_CODES[str(_e.label).casefold()] = _e

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_PNC = re.compile(pnc_validator.regex.pattern)
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


class FileError(Exception):
    """The file as a whole cannot be read: nothing of it is imported."""


@dataclass
class Row:
    number: int
    yot_reference: str = ""
    first_name: str = ""
    last_name: str = ""
    date_of_birth: dt.date | None = None
    gender: str = ""
    ethnicity: str = ""
    pnc_number: str = ""
    offence_date: dt.date | None = None
    offence_type: str = ""
    disposal: str = ""
    gravity: int | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def has_offence(self) -> bool:
        return self.offence_date is not None and bool(self.offence_type)

    def error(self, message: str) -> None:
        self.errors.append(_("Row %(row)s: %(problem)s") % {"row": self.number, "problem": message})


@dataclass
class ParsedFile:
    rows: list[Row]
    encoding: str
    delimiter: str
    notices: list[str] = field(default_factory=list)


def decode(data: bytes) -> tuple[str, str, list[str]]:
    """The text of the file, the encoding it was read in and any notice about that: UTF-8
    (with or without a byte order mark), else Windows-1252 (what Excel saves as "CSV")."""
    if not data.strip():
        raise FileError(_("The file is empty."))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise FileError(
            _(
                "The file is in UTF-16 (Excel's “Unicode text”), not a CSV file: save it again "
                "as “CSV UTF-8 (comma delimited)”."
            )
        )
    try:
        return data.decode("utf-8-sig"), "utf-8", []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise FileError(
            _(
                "The file is neither UTF-8 nor Windows-1252 text (byte %(at)s cannot be read): "
                "save it again as “CSV UTF-8 (comma delimited)”."
            )
            % {"at": exc.start + 1}
        ) from None
    notice = _(
        "The file is not UTF-8: it was read as Windows-1252 (as Excel saves “CSV”). Check that "
        "names with accents look right below; if not, save it as “CSV UTF-8” and upload again."
    )
    return text, "windows-1252", [notice]


def _header_name(text: str) -> str:
    name = re.sub(r"[\s\-]+", "_", text.strip().casefold())
    return HEADER_ALIASES.get(name, name)


def _delimiter(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


def parse_date(value: str, label: str, row: Row) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    match = _ISO.match(value)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _UK.match(value)
        if not match:
            row.error(
                _("%(what)s '%(value)s' is not written DD/MM/YYYY or YYYY-MM-DD")
                % {"what": label, "value": value}
            )
            return None
        day, month, year = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        row.error(_("%(what)s '%(value)s' is not a date") % {"what": label, "value": value})
        return None


def _cell(record: dict[str, str], name: str) -> str:
    return (record.get(name) or "").strip()


def _row(number: int, record: dict[str, str], today: dt.date) -> Row:
    row = Row(number=number)
    for name in ("yot_reference", "first_name", "last_name", "offence_type", "disposal"):
        setattr(row, name, " ".join(_cell(record, name).split()))
    row.pnc_number = _cell(record, "pnc_number").upper()
    for name in ("yot_reference", "first_name", "last_name"):
        if not getattr(row, name):
            row.error(_("the %(what)s is missing") % {"what": COLUMN_LABELS[name]})
    row.date_of_birth = parse_date(_cell(record, "date_of_birth"), _("date of birth"), row)
    if row.date_of_birth is None and not _cell(record, "date_of_birth"):
        row.error(_("the date of birth is missing"))
    elif row.date_of_birth and row.date_of_birth > today:
        row.error(_("the date of birth %(value)s is in the future") % {"value": row.date_of_birth})
    gender = _cell(record, "gender")
    row.gender = GENDER_CODES.get(gender.casefold(), "")
    if not row.gender:
        row.error(
            _("gender '%(value)s' is not a code we know (use M, F, O or U)") % {"value": gender}
        )
    ethnicity = _cell(record, "ethnicity")
    row.ethnicity = ETHNICITY_CODES.get(ethnicity.casefold(), "")
    if not row.ethnicity:
        row.error(
            _("ethnicity '%(value)s' is not a code we know (e.g. WBRI, or the ONS category)")
            % {"value": ethnicity}
        )
    row.offence_date = parse_date(_cell(record, "offence_date"), _("offence date"), row)
    raw_date = _cell(record, "offence_date")
    if raw_date and not row.offence_type:
        row.error(_("the offence dated %(value)s has no offence type") % {"value": raw_date})
    elif row.offence_type and not raw_date:
        row.error(_("the offence '%(value)s' has no date") % {"value": row.offence_type})
    if row.offence_date:
        if row.offence_date > today:
            row.error(_("the offence date %(value)s is in the future") % {"value": raw_date})
        elif row.date_of_birth and row.offence_date < row.date_of_birth:
            row.error(
                _("the offence date %(value)s is before the date of birth") % {"value": raw_date}
            )
        elif row.date_of_birth and row.offence_date < nth_birthday(row.date_of_birth, 10):
            row.error(
                _(
                    "the offence date %(value)s is before the child's 10th birthday (the age "
                    "of criminal responsibility)"
                )
                % {"value": raw_date}
            )
    if row.pnc_number and not _PNC.match(row.pnc_number):
        row.error(
            _("PNC number '%(value)s' is not in the form YY/NNNNNNNA (e.g. 19/1234567X)")
            % {"value": row.pnc_number}
        )
    gravity = _cell(record, "gravity")
    if gravity:
        if gravity.isdigit() and 1 <= int(gravity) <= 8:
            row.gravity = int(gravity)
        else:
            row.error(_("gravity '%(value)s' is not a score from 1 to 8") % {"value": gravity})
    for name, limit in (
        ("yot_reference", 40),
        ("first_name", 100),
        ("last_name", 100),
        ("offence_type", 120),
        ("disposal", 120),
    ):
        if len(getattr(row, name)) > limit:
            row.error(
                _("the %(what)s is longer than %(limit)s characters")
                % {"what": COLUMN_LABELS[name], "limit": limit}
            )
    return row


def parse(data: bytes, *, today: dt.date) -> ParsedFile:
    """Every row of the file, each with its errors. Raises FileError when the file as a
    whole cannot be read (encoding, no header, a missing column, broken quoting)."""
    text, encoding, notices = decode(data)
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = _delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
        names = [_header_name(h) for h in header]
        missing = [c for c in REQUIRED_COLUMNS if c not in names]
        if missing:
            raise FileError(
                _("The file has no column %(missing)s (the columns found: %(found)s).")
                % {
                    "missing": ", ".join(f"“{m}”" for m in missing),
                    "found": ", ".join(f"“{h.strip()}”" for h in header if h.strip()) or "-",
                }
            )
        repeated = sorted({n for n in names if n and names.count(n) > 1})
        if repeated:
            raise FileError(
                _("The column %(names)s appears more than once.")
                % {"names": ", ".join(f"“{n}”" for n in repeated)}
            )
        rows: list[Row] = []
        for index, cells in enumerate(reader):
            number = index + 2
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise FileError(
                    _("The file has more than %(max)s rows: split it into smaller files.")
                    % {"max": MAX_ROWS}
                )
            if len(cells) != len(names):
                row = Row(number=number)
                row.error(
                    _("it has %(found)s fields where the header has %(expected)s")
                    % {"found": len(cells), "expected": len(names)}
                )
                rows.append(row)
                continue
            rows.append(_row(number, dict(zip(names, cells, strict=True)), today))
    except csv.Error as exc:
        raise FileError(
            _("The file is not a well-formed CSV file (near row %(row)s: %(problem)s).")
            % {"row": reader.line_num, "problem": exc}
        ) from None
    if not rows:
        raise FileError(_("The file has a header but no rows."))
    return ParsedFile(rows=rows, encoding=encoding, delimiter=delimiter, notices=notices)
