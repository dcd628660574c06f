"""Calendar invitations (.ics, RFC 5545) for formulation and review meetings, built with
icalendar."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText


def meeting_ics(meeting, invitation=None) -> str:
    """A REQUEST calendar with one event. Names no child: the case reference only."""
    cal = Calendar()
    cal.add("prodid", "-//ECM//Enhanced Case Management//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    event = Event()
    event.add("uid", f"ecm-meeting-{meeting.pk}@ecm")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    summary = (
        _("ECM review meeting (%(ref)s)")
        if meeting.kind == "review"
        else _("ECM formulation meeting (%(ref)s)")
    )
    event.add("summary", summary % {"ref": meeting.case.reference})
    if meeting.location:
        event.add("location", meeting.location)
    if meeting.online_link:
        event.add("url", meeting.online_link)
    event.add(
        "description",
        _(
            "Enhanced Case Management review meeting. Information about "
            "the child is shared at the meeting and through secure channels only."
        )
        if meeting.kind == "review"
        else _(
            "Enhanced Case Management formulation meeting. Information about "
            "the child is shared at the meeting and through secure channels only."
        ),
    )
    event.add("sequence", meeting.version)
    organizer = vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL.split('<')[-1].strip('> ')}")
    organizer.params["cn"] = vText(str(meeting.chair))
    event["organizer"] = organizer
    if invitation is not None and invitation.email:
        attendee = vCalAddress(f"mailto:{invitation.email}")
        attendee.params["cn"] = vText(invitation.name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee, encode=0)
    cal.add_component(event)
    return cal.to_ical().decode()
