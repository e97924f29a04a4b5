"""ISO weeks, and the periods the figures cover: whole weeks, Monday to Sunday (UTC),
ending with the current week. A period is at most a year (``MAX_WEEKS``): the page
offers 4, 12 or 26 weeks; REST and the CSV take 1 to 52 and answer 400 beyond, rather
than silently clamping a "ten years" export to one year that looks complete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

MAX_WEEKS = 52
PAGE_CHOICES = (4, 12, 26)
DEFAULT_WEEKS = 4


def week_of(day: date) -> str:
    """``2026-W45``: the ISO year and week of ``day``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Period:
    weeks: tuple[str, ...]  # oldest first
    mondays: tuple[date, ...]
    start: date  # the first Monday
    end: date  # the last Sunday (inclusive)

    @property
    def first_day(self) -> str:
        return self.start.isoformat()

    @property
    def last_day(self) -> str:
        return self.end.isoformat()

    def week_of_day(self, day: str) -> str | None:
        """The period's week of a 'YYYY-MM-DD' (or ISO timestamp), None outside it."""
        try:
            found = date.fromisoformat(day[:10])
        except (TypeError, ValueError):
            return None
        if not self.start <= found <= self.end:
            return None
        return week_of(found)


def today() -> date:
    return datetime.now(UTC).date()


def last_weeks(count: int, on: date | None = None) -> Period:
    """The ``count`` weeks ending with the week of ``on`` (today)."""
    if not 1 <= count <= MAX_WEEKS:
        raise ValueError(f"a period is 1 to {MAX_WEEKS} weeks, not {count}")
    this_monday = monday_of(on or today())
    mondays = tuple(this_monday - timedelta(weeks=n) for n in range(count - 1, -1, -1))
    return Period(
        weeks=tuple(week_of(m) for m in mondays),
        mondays=mondays,
        start=mondays[0],
        end=this_monday + timedelta(days=6),
    )


def previous_week(on: date | None = None) -> Period:
    """The last whole week before the week of ``on``: what the weekly digest tells."""
    return last_weeks(1, monday_of(on or today()) - timedelta(days=1))


def page_weeks(raw: str | None) -> int:
    """The page's period: one of its choices, else the default (a page never errors on
    a hand-edited address)."""
    return int(raw) if raw in {str(c) for c in PAGE_CHOICES} else DEFAULT_WEEKS
