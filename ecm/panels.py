"""Sections of the case page contributed by the other apps.

`ecm` knows no other app, so the referral, formulation and review apps register a panel
here from their AppConfig.ready(). A panel is a function (request, case) returning the HTML
of its section, or "" when it has nothing to show. Each panel must cost a constant number
of queries.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.safestring import SafeString, mark_safe

Panel = Callable[..., str]
_panels: list[tuple[int, str, Panel]] = []


def register_case_panel(name: str, order: int, panel: Panel) -> None:
    global _panels
    _panels = [p for p in _panels if p[1] != name]
    _panels.append((order, name, panel))
    _panels.sort(key=lambda p: (p[0], p[1]))


def case_panels(request, case) -> list[SafeString]:
    return [mark_safe(html) for _, _, panel in _panels if (html := panel(request, case))]  # noqa: S308


# Home-page sections ("what is due for me"), registered the same way: a function (request)
# returning HTML or "". Each must cost a constant number of queries.
_home_panels: list[tuple[int, str, Panel]] = []


def register_home_panel(name: str, order: int, panel: Panel) -> None:
    global _home_panels
    _home_panels = [p for p in _home_panels if p[1] != name]
    _home_panels.append((order, name, panel))
    _home_panels.sort(key=lambda p: (p[0], p[1]))


def home_panels(request) -> list[SafeString]:
    return [mark_safe(html) for _, _, panel in _home_panels if (html := panel(request))]  # noqa: S308


# Closing an *active* case is a closure review (next steps, transitions, risk, outcomes) that
# the reviews app owns. It registers the page here; the case page links to it instead of the
# plain "close" form, which stays for cases closed before formulation.
_closure_url: Callable[..., str | None] | None = None


def register_closure_url(fn: Callable[..., str | None]) -> None:
    global _closure_url
    _closure_url = fn


def closure_url(case) -> str | None:
    return _closure_url(case) if _closure_url is not None else None


# What is due next on each case, from the records the other apps keep (the referral's dates,
# the consent, the meetings): `ecm` knows only the case's status. A provider is a function
# (cases, today) -> {case pk: text} answering for the cases it knows something about; the
# first provider (lowest order) to answer for a case wins, and the status's own text is the
# fallback. Each provider costs a constant number of queries for the whole list.
NextSteps = Callable[..., dict[int, str]]
_next_step_providers: list[tuple[int, str, NextSteps]] = []


def register_next_steps(name: str, order: int, provider: NextSteps) -> None:
    global _next_step_providers
    _next_step_providers = [p for p in _next_step_providers if p[1] != name]
    _next_step_providers.append((order, name, provider))
    _next_step_providers.sort(key=lambda p: (p[0], p[1]))


def next_steps(cases, today) -> dict[int, str]:
    """{case pk: next step} from the registered providers, for the cases they answer for."""
    cases = list(cases)
    steps: dict[int, str] = {}
    for _, _, provider in _next_step_providers:
        wanted = [case for case in cases if case.pk not in steps]
        if not wanted:
            break
        for pk, text in provider(wanted, today).items():
            if text:
                steps.setdefault(pk, text)
    return steps
