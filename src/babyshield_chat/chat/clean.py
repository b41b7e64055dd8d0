"""Clean text for answers (spec 4b.10): one full stop, sentence-boundary cuts, no empty fields.

Recall texts come from the data as published: hazards that end in a full stop
(so "Hazard: {hazard}." ends in ".."), hazards of a thousand characters,
remedies that are missing. Every writer passes what it says through here:

- `end_sentence` ends a text with exactly one full stop (or the ! ? … it has);
- `shorten` cuts a long text at a sentence boundary and marks the cut with
  "…" (at a word boundary only when its first sentence is itself too long);
- `tidy` is the last pass over a written sentence: ".." (not "...") becomes
  ".", a space before a stop goes, spaces are squeezed.
"""

from __future__ import annotations

import re

#: Hazard and remedy texts from the data are cut to about this many characters.
DEFAULT_MAX_CHARS = 240

_TERMINAL = (".", "!", "?", "…")
_SENTENCE_END = re.compile(r"[.!?](?=\s+[\"'(¿¡]?[A-ZÁÉÍÓÚÑ0-9])")
_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")
_SPACE_BEFORE_STOP = re.compile(r"\s+([.,;:!?])")
_STOP_AFTER_MARK = re.compile(r"([!?…])\.")
_SPACES = re.compile(r"[ \t]{2,}")


def end_sentence(text: str) -> str:
    """`text` ending in exactly one stop: "Fall hazard." stays, "Fall hazard" gets one, "hazard.." loses one."""
    stripped = text.strip().rstrip(" ,;:")
    while stripped.endswith(".") and stripped[:-1].endswith((".", "!", "?", "…")) and not stripped.endswith("..."):
        stripped = stripped[:-1]
    if not stripped:
        return ""
    return stripped if stripped.endswith(_TERMINAL) else stripped + "."


def shorten(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """`text` as one or more whole sentences within `max_chars`, with "…" where it was cut."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return end_sentence(text)
    ends = [m.end() for m in _SENTENCE_END.finditer(text) if m.end() <= max_chars]
    if ends:
        return text[: ends[-1]].rstrip() + " …"
    cut = text[:max_chars].rsplit(" ", 1)[0].rstrip(" ,;:.-")
    return cut + "…"


def tidy(text: str) -> str:
    """The last pass over written text: one stop, no space before punctuation, single spaces."""
    text = _DOUBLE_STOP.sub(".", text)
    text = _STOP_AFTER_MARK.sub(r"\1", text)
    text = _SPACE_BEFORE_STOP.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


#: Recall titles longer than this (FDA titles are whole product descriptions) are cut in sentences.
DEFAULT_TITLE_CHARS = 90
_CLAUSE_END = re.compile(r"[,;.](?=\s)")


def short_title(title: str, max_chars: int = DEFAULT_TITLE_CHARS) -> str:
    """A recall title short enough for a sentence: cut after a clause, else at a word, with "…"."""
    title = " ".join(title.split())
    if len(title) <= max_chars:
        return title
    ends = [m.start() for m in _CLAUSE_END.finditer(title) if 25 <= m.start() <= max_chars]
    cut = title[: ends[0]] if ends else title[:max_chars].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + "…"


def shown_number(recall_number: str | None) -> str | None:
    """A recall number a parent can read ("13115", "F-0935-2022"); None for a recall page's slug."""
    if not recall_number or "/" in recall_number or len(recall_number) > 24:
        return None
    return recall_number
