"""Every Chromium page the browser tests open reports each Content Security Policy violation
here (issue 19): `tests/conftest.py` watches every context the `browser` fixture makes, and
a test that caused a violation fails at teardown, naming the page, directive and source.

The page's `securitypolicyviolation` event carries the details; it is sent to Python through
a binding, so it survives navigations and is not lost when the page goes on to another URL.
"""

from __future__ import annotations

VIOLATIONS: list[str] = []

INIT_SCRIPT = """
document.addEventListener("securitypolicyviolation", (e) => {
  const where = e.sourceFile ? ` at ${e.sourceFile}:${e.lineNumber}` : "";
  window.__ecmCspViolation(`${e.documentURI}: ${e.effectiveDirective} refused `
    + `${e.blockedURI || "(inline)"}${where} ${e.sample || ""}`.trim());
}, true);
"""


def record(message: str) -> None:
    VIOLATIONS.append(message)


def watch(context) -> None:
    """Report the CSP violations of every page of a Playwright browser context."""
    context.expose_function("__ecmCspViolation", record)
    context.add_init_script(INIT_SCRIPT)


def watching(browser):
    """`browser` with each new context watched (the fixture's browser for every test)."""
    new_context = browser.new_context

    def new_watched_context(*args, **kwargs):
        context = new_context(*args, **kwargs)
        watch(context)
        return context

    browser.new_context = new_watched_context
    return browser


def take() -> list[str]:
    """The violations reported since the last call (and forget them)."""
    found = list(VIOLATIONS)
    VIOLATIONS.clear()
    return found
