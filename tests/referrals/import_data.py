"""A realistic CSV export of a YOT system for the import's scale test and benchmark
(scripts/bench_import.py): children repeated over their offences, names with accents, both
date forms, optional columns left empty; every offence row a different offence."""

from __future__ import annotations

import datetime as dt
import random

FIRST = ["Ffion", "Dylan", "Siân", "Rhys", "Amélie", "Kai", "Zoë", "Osian", "Maya", "Tomás"]
LAST = ["Evans", "Jones", "O'Brien", "Hughes", "Nowak", "Ahmed", "Williams", "Davies", "Kaur"]
OFFENCES = [
    ("Theft from a shop", 2),
    ("Criminal damage", 2),
    ("Common assault", 3),
    ("Possession of cannabis", 2),
    ("Robbery", 6),
    ("Burglary (dwelling)", 5),
    ("Possession of a bladed article", 5),
    ("Public order offence", 3),
]
DISPOSALS = ["Youth caution", "Referral order", "YRO", "Community resolution", ""]
ETHNICITIES = ["WBRI", "WBRI", "WBRI", "MWBC", "AIND", "BAFR", "WOTH", "NOBT", ""]
HEADER = (
    "yot_reference,first_name,last_name,date_of_birth,gender,ethnicity,pnc_number,"
    "offence_date,offence_type,disposal,gravity\n"
)


def realistic_csv(
    children: int, offences: int, *, seed: int = 21, today=None, prefix: str = "YOT"
) -> bytes:
    """`children` children and `offences` offence rows between them (one a child at least,
    the rest spread unevenly, as a caseload's prolific few are)."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    counts = [1] * children
    for _ in range(offences - children):
        # A third of the offences are the prolific tenth's.
        prolific = rng.random() < 0.3
        counts[rng.randrange(max(children // 10, 1) if prolific else children)] += 1
    lines = [HEADER]
    for n in range(children):
        dob = today - dt.timedelta(days=rng.randint(10 * 366 + 60, 17 * 365))
        dob_text = dob.strftime("%d/%m/%Y") if n % 2 else dob.isoformat()
        pnc = f"{dob.year % 100 + 12:02d}/{rng.randint(1, 9999999)}{rng.choice('ABCDEFX')}"
        child = ",".join(
            [
                f"{prefix}{n:06d}",
                rng.choice(FIRST),
                f'"{rng.choice(LAST)}"',
                dob_text,
                rng.choice("MMMFFU"),
                rng.choice(ETHNICITIES),
                pnc if rng.random() < 0.7 else "",
            ]
        )
        seen: set[tuple] = set()
        while len(seen) < counts[n]:
            kind, gravity = rng.choice(OFFENCES)
            day = dob + dt.timedelta(days=rng.randint(10 * 366, (today - dob).days - 1))
            if (day, kind) in seen:
                continue  # one offence of a kind a day: every row is a new offence
            seen.add((day, kind))
            lines.append(
                f"{child},{day.strftime('%d/%m/%Y')},{kind},{rng.choice(DISPOSALS)},{gravity}\n"
            )
    return "".join(lines).encode()
