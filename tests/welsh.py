"""Finding English on a page meant to be Welsh (issue 23), for the Welsh browser journey.

Two detectors, over the text a person sees or hears on the page (visible text nodes and the
attributes read out or shown: placeholder, aria-label, title, alt, the value of an input
button), leaving out <script>/<style>, hidden elements and anything inside lang="en...":

1. a text equal to an English msgid of our catalogues (ours and the vendor gaps) whose Welsh
   differs: a string shown untranslated;
2. English function words as whole words ("the", "and", "your"...): an English sentence,
   whether or not it is in a catalogue (a string never wrapped in gettext).

ALLOWED removes proper nouns and codes before the second detector: keep it short and say why.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = (
    ROOT / "locale" / "cy" / "LC_MESSAGES" / "django.po",
    ROOT / "locale" / "vendor" / "cy" / "LC_MESSAGES" / "django.po",
)

FUNCTION_WORDS = [
    "the",
    "and",
    "of",
    "your",
    "you",
    "with",
    "for",
    "this",
    "are",
    "not",
    "has",
    "have",
    "was",
    "will",
    "what",
    "when",
    "can",
    "please",
    "save",
    "cancel",
    "delete",
    "edit",
    "add",
    "name",
    "date",
    "child",
    "review",
    "report",
    "meeting",
    "status",
    "sign",
    "next",
    "back",
]
FUNCTION_WORD = re.compile(r"\b(" + "|".join(FUNCTION_WORDS) + r")\b", re.IGNORECASE)

# Proper nouns and codes that are the same in Welsh, taken out before looking for English words
# (none of them holds a function word today; they are here so that one added later does not
# have to be searched for). E-mail addresses are the users' own data.
ALLOWED = (
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),  # e-mail addresses (the fixture's users)
    re.compile(r"\b(ECM|TRM|YOT|PDF|CSV|SVG|PNC|AssetPlus|YOGRS|ACE|SLCN|GDPR|NHS|CAMHS)\b"),
)

# The visible text and user-facing attributes of the page, each with where it was found.
PAGE_TEXTS = """() => {
  const out = [];
  const english = el => !!(el && el.closest && el.closest('[lang^="en"]'));
  const shown = el => {
    if (!el) return false;
    if (el.closest('svg')) {  // a drawing's <title>/<desc> are read out; its text is shown
      return !el.closest('[hidden]') && !el.closest('[aria-hidden="true"]');
    }
    if (el.tagName === 'OPTION' || el.tagName === 'OPTGROUP') return shown(el.closest('select'));
    return el.checkVisibility ? el.checkVisibility({checkVisibilityCSS: true}) : !!el.offsetParent;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const text = node.nodeValue.replace(/\\s+/g, ' ').trim();
    if (!text || !el || el.closest('script, style, noscript, template')) continue;
    if (english(el) || !shown(el)) continue;
    out.push({where: el.tagName.toLowerCase() + (el.id ? '#' + el.id : ''), text});
  }
  const attrs = ['placeholder', 'aria-label', 'title', 'alt'];
  for (const el of document.body.querySelectorAll('*')) {
    if (english(el) || el.closest('script, style, template')) continue;
    if (!shown(el) && !(el.tagName === 'INPUT' && el.type !== 'hidden')) continue;
    for (const a of attrs) {
      const v = (el.getAttribute(a) || '').trim();
      if (v) out.push({where: el.tagName.toLowerCase() + '[' + a + ']', text: v});
    }
    if (el.tagName === 'INPUT' && ['submit', 'button', 'reset'].includes(el.type) && el.value) {
      out.push({where: 'input[value]', text: el.value.trim()});
    }
  }
  if (document.title) out.push({where: 'title', text: document.title.trim()});
  return out;
}"""


@cache
def english_msgids() -> frozenset[str]:
    """The English of every catalogue entry whose Welsh differs from it."""
    import polib

    found = set()
    for path in CATALOGUES:
        for entry in polib.pofile(str(path)):
            if entry.obsolete:
                continue
            if entry.msgid_plural:
                pairs = [(entry.msgid, entry.msgstr_plural.get(0, "")),
                         (entry.msgid_plural, entry.msgstr_plural.get(1, ""))]  # fmt: skip
            else:
                pairs = [(entry.msgid, entry.msgstr)]
            for msgid, msgstr in pairs:
                msgid = " ".join(msgid.split())
                if msgid and msgstr and msgid != " ".join(msgstr.split()) and _worded(msgid):
                    found.add(msgid)
    return frozenset(found)


def _worded(msgid: str) -> bool:
    """A msgid that reads as English words, not a code or a placeholder alone."""
    return bool(re.search(r"[A-Za-z]{2,}", re.sub(r"%\(\w+\)[sd]|\{\w*\}|%[sd]", "", msgid)))


def english_in(texts: list[dict]) -> list[str]:
    """The texts (as collected by PAGE_TEXTS) that are English, each said with where it is."""
    msgids = english_msgids()
    found = []
    for item in texts:
        text = " ".join(item["text"].split())
        if text in msgids:
            found.append(f"{item['where']}: {text!r} (an English msgid)")
            continue
        rest = text
        for allowed in ALLOWED:
            rest = allowed.sub(" ", rest)
        words = sorted({m.group(0).lower() for m in FUNCTION_WORD.finditer(rest)})
        if words:
            found.append(f"{item['where']}: {text!r} (English words: {', '.join(words)})")
    return found


def assert_welsh(page, seen: list | None = None) -> None:
    """Fail, saying what and where, if the page shows any English (a page marked English as
    a whole would hide everything from the detectors, so its root must say Welsh)."""
    page.wait_for_load_state("load")
    if seen is not None:
        seen.append(page.url)
    root = page.evaluate("() => document.documentElement.lang")
    assert root == "cy", f'<html lang="{root}"> on {page.url}'
    found = english_in(page.evaluate(PAGE_TEXTS))
    assert not found, f"English on {page.url}:\n  " + "\n  ".join(found)
