"""Writing the bundle: one zip with a readable, self-contained HTML copy (its stylesheet is a
file inside the zip; nothing is fetched from anywhere), the same data as JSON, and the
released uploads. Both copies are written from the same gathered sections, so they hold the
same records and the same list of what was withheld and why."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from referrals.storage import private_storage

from .collect import Gathered

FORMAT = "ecm-subject-access/1"
STYLESHEET = "ecm/subject-access-bundle.css"

#: What the bundle says about what it does not contain, in both copies.
NOTES = (
    gettext_noop(
        "Clinical supervision sessions are about the practitioners' work, not about the child: "
        "their content (notes, reflections, themes) is not part of this record. The decision "
        "summaries a psychologist put on the child's case are included."
    ),
    gettext_noop(
        "Drawings (the timeline and genogram pictures kept with each report version) are not "
        "included as pictures: every event and family member they show is listed as data."
    ),
    gettext_noop(
        "Information about other people was reviewed before release. What was withheld is listed "
        "with the reason; the withheld information itself is not in this bundle."
    ),
)


def _text(value) -> str:
    if value is None or value == "":
        return ""
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if isinstance(value, list | dict):
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return ", ".join(value)
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _json_part(part) -> list[dict]:
    return [{f["name"]: f["value"] for f in record["fields"]} for record in part.records]


def as_json(g: Gathered, meta: dict) -> dict:
    return {
        "format": FORMAT,
        **meta,
        "child": {f["name"]: f["value"] for f in g.child["fields"]},
        "episodes": [
            {"reference": e["reference"], **{p.key: _json_part(p) for p in e["parts"]}}
            for e in g.episodes
        ],
        **{p.key: _json_part(p) for p in g.parts},
        "withheld": g.withheld,
        "notes": [_(n) for n in NOTES],
    }


def _html_part(part) -> dict:
    return {
        "key": part.key,
        "title": part.title,
        "records": [
            {
                "title": r["title"],
                "fields": [(f["label"], _text(f["value"])) for f in r["fields"]],
            }
            for r in part.records
        ],
    }


def as_html(g: Gathered, meta: dict) -> str:
    return render_to_string(
        "monitoring/subject_access/bundle.html",
        {
            "LANGUAGE_CODE": translation.get_language() or settings.LANGUAGE_CODE,
            "meta": meta,
            "child_name": g.child["title"],
            "child": [(f["label"], _text(f["value"])) for f in g.child["fields"]],
            "episodes": [
                {"title": e["title"], "parts": [_html_part(p) for p in e["parts"]]}
                for e in g.episodes
            ],
            "parts": [_html_part(p) for p in g.parts],
            "withheld": g.withheld,
            "notes": [_(n) for n in NOTES],
            "marking": settings.PROTECTIVE_MARKING,
        },
    )


def write_zip(g: Gathered, meta: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("index.html", as_html(g, meta))
        zf.writestr("bundle.css", Path(finders.find(STYLESHEET)).read_text())
        zf.writestr("data.json", json.dumps(as_json(g, meta), ensure_ascii=False, indent=2))
        for path, stored in g.uploads:
            with private_storage().open(stored, "rb") as fh:
                zf.writestr(path, fh.read())
    return buffer.getvalue()


def meta_for(sar) -> dict:
    def name(user):
        return (user.get_full_name() or user.get_username()) if user else ""

    return {
        "request": {
            "id": sar.pk,
            "received_on": sar.received_on.isoformat(),
            "requester": sar.requester,
            "team": sar.team.name,
            "recorded_by": name(sar.requested_by),
            "released_by": name(sar.released_by),
            "released_at": timezone.localtime(sar.released_at).isoformat(timespec="minutes")
            if sar.released_at
            else "",
        },
        "generated_at": timezone.localtime().isoformat(timespec="minutes"),
    }
