"""Child age arithmetic and wording, shared by the age check and its rules.

Ages are whole months, as product age gradings are ("6 months and up"), and
are written the way a parent says them: "7 months", "2 years 6 months".
"""

from __future__ import annotations

import datetime as dt


def child_age_months(birthdate: dt.date, today: dt.date) -> int:
    """Whole months from `birthdate` to `today` (negative when not born yet)."""
    months = (today.year - birthdate.year) * 12 + (today.month - birthdate.month)
    if months > 0 and today.day < birthdate.day:
        months -= 1
    elif months < 0 and today.day > birthdate.day:
        months += 1
    return months


def format_age(months: int, language: str = "en") -> str:
    """ "7 months", "2 years", "2 years 6 months" (or Spanish)."""
    es = language == "es"

    def unit(count: int, one: str, many: str) -> str:
        return f"{count} {one if count == 1 else many}"

    month_words = ("mes", "meses") if es else ("month", "months")
    if months < 24:
        return unit(months, *month_words)
    years, rest = divmod(months, 12)
    text = unit(years, *(("año", "años") if es else ("year", "years")))
    if rest:
        text += (" y " if es else " ") + unit(rest, *month_words)
    return text
