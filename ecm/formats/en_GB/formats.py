"""One date style everywhere ("1 Dec 2026", "1 Dec 2026 10:42"): Django's own formats for
the locale, with the short ones made the same as the long one (no dd/mm/yyyy anywhere).
Input formats are Django's (the date pickers send ISO dates)."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y H:i"
YEAR_MONTH_FORMAT = "M Y"
