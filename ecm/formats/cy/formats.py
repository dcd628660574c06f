"""One date style everywhere in Welsh ("1 Rhagfyr 2026", "1 Rhagfyr 2026 10:42"): the month
written in full, as Welsh public bodies write dates (Welsh has no settled short month names),
and the same for the short formats (no dd/mm/yyyy anywhere). Month names come from Django's
Welsh catalogue. Input formats are Django's (the date pickers send ISO dates)."""

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATETIME_FORMAT = "j F Y H:i"
YEAR_MONTH_FORMAT = "F Y"
