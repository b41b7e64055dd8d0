"""Child age arithmetic and wording, shared by the age check, its rules and the answers.

Ages are whole months, as product age gradings are ("6 months and up"), and
are written the way a parent says them: "7 months", "2 years 6 months", or
"5 weeks old" when the parent counted in weeks. `whose_age` says where the
age came from: the message ("you said ...") or the profile's birthdate.
"""

from __future__ import annotations

import datetime as dt

from babyshield_chat.chat.model import ChildAge


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


def profile_child_age(birthdate: dt.date | None, today: dt.date) -> ChildAge | None:
    """The child's age from the profile's birthdate (None without one, or when it is in the future)."""
    if birthdate is None:
        return None
    months = child_age_months(birthdate, today)
    return ChildAge(months=months, source="profile") if months >= 0 else None


def said_age(age: ChildAge, language: str = "en") -> str:
    """The age as the parent put it: "5 weeks old", "3 months old", "a newborn" (or Spanish, without "old")."""
    es = language == "es"
    if age.newborn:
        return "recién nacido" if es else "a newborn"
    if age.weeks is not None:
        unit = ("semana" if age.weeks == 1 else "semanas") if es else ("week" if age.weeks == 1 else "weeks")
        return f"{age.weeks} {unit}" if es else f"{age.weeks} {unit} old"
    return format_age(age.months, language) if es else f"{format_age(age.months)} old"


def whose_age(age: ChildAge, language: str = "en") -> str:
    """Who said how old the child is (spec 4b.6): "you said your baby is 3 months old", or the profile."""
    es = language == "es"
    said = said_age(age, language)
    if age.source == "message":
        if es:
            return f"nos dijo que su bebé es {said}" if age.newborn else f"nos dijo que su bebé tiene {said}"
        return f"you said your {'baby' if age.months < 12 else 'child'} is {said}"
    if es:
        return f"su hijo tiene {said} según la fecha de nacimiento de su perfil"
    return f"your child is {said} by the birthdate in your profile"
