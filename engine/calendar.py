"""The working-day calendar: Indonesian holidays, an admin's overrides and the office's service hours.

Pure and framework-free: aware datetimes come in and go out in UTC; dates are the office's local
dates (Asia/Jakarta). National holidays and cuti bersama come from the `holidays` package (pinned in
pyproject.toml); later years are the package's estimates, which the override table corrects.

Counting rules, for SLA due moments and timers:

- A working day is a day with service hours (Monday to Friday) that is not a national holiday and,
  unless `cuti_bersama_working`, not a cuti bersama day. An override decides its date outright: it
  makes a weekday a working day or a holiday (a weekend has no service hours, so it stays off).
- `add_working_days(day, n)` is the n-th working day after `day`, not counting `day` itself:
  Tuesday 2026-03-17 plus 5 is 2026-03-31 (Nyepi, Idul Fitri and their cuti bersama between).
- A request is treated as received at the next working moment: one received outside service hours
  (after closing, on a holiday, at the weekend) counts from the next opening; one received during
  the midday break, from the end of the break, the same day.
- `due_at(received, n)` is the close of service on the n-th working day after that day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays as holiday_data

OFFICE_ZONE = ZoneInfo("Asia/Jakarta")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_LONGEST_BREAK = 400  # days: more than a year without a working day means the data is wrong
_PERIOD = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


@dataclass(frozen=True)
class Holiday:
    """A day off from the national list: a public holiday or a cuti bersama day."""

    day: date
    name: str
    cuti_bersama: bool
    estimated: bool = False  # the package computed the date; no decree has fixed it yet


@dataclass(frozen=True)
class Override:
    """An admin's decision for one date, with the legal reference that makes it so."""

    day: date
    working: bool
    reference: str


@dataclass(frozen=True)
class Period:
    """One stretch of service on a day, in local time; `end` is exclusive."""

    start: time
    end: time


class ServiceHours:
    """The periods of service of each weekday, in the office's local time."""

    def __init__(self, week: Mapping[int, Sequence[Period]]) -> None:
        self._week = {weekday: tuple(week.get(weekday, ())) for weekday in range(7)}
        for periods in self._week.values():
            for earlier, later in pairwise(periods):
                if later.start < earlier.end:
                    raise ValueError("service periods of a day must be in order and must not overlap")

    @classmethod
    def parse(cls, data: Mapping[str, Sequence[str]]) -> ServiceHours:
        """Read `{"monday": ["09:00-12:00", "12:30-14:00"], ...}`; a day that is missing has no service."""
        unknown = set(data) - set(WEEKDAYS)
        if unknown:
            raise ValueError(f"unknown weekday(s): {', '.join(sorted(unknown))}")
        return cls({WEEKDAYS.index(day): [_parse_period(text) for text in periods] for day, periods in data.items()})

    def periods(self, day: date) -> tuple[Period, ...]:
        """The periods of service on `day`'s weekday (none at the weekend)."""
        return self._week[day.weekday()]

    def as_data(self) -> dict[str, list[str]]:
        """The form `parse` reads, for showing or storing."""
        return {
            WEEKDAYS[weekday]: [f"{p.start:%H:%M}-{p.end:%H:%M}" for p in periods]
            for weekday, periods in self._week.items()
            if periods
        }


def _parse_period(text: str) -> Period:
    match = _PERIOD.match(text)
    if not match:
        raise ValueError(f"a service period is written HH:MM-HH:MM, not {text!r}")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    period = Period(time(h1, m1), time(h2, m2))
    if period.end <= period.start:
        raise ValueError(f"a service period must end after it starts: {text!r}")
    return period


# The service standard's hours (SK No. 060/060/VI/Tahun 2021), WIB: Monday to Thursday 09.00-14.00
# with a break 12.00-12.30, Friday 08.00-10.30. Data, so that a changed standard is one edit here.
SERVICE_HOURS = ServiceHours.parse(
    {
        "monday": ["09:00-12:00", "12:30-14:00"],
        "tuesday": ["09:00-12:00", "12:30-14:00"],
        "wednesday": ["09:00-12:00", "12:30-14:00"],
        "thursday": ["09:00-12:00", "12:30-14:00"],
        "friday": ["08:00-10:30"],
    }
)


class HolidaySource(Protocol):
    """Where national holidays come from, one year at a time."""

    def holidays_in(self, year: int) -> Mapping[date, Holiday]: ...


class NationalHolidays:
    """Indonesia's public holidays and cuti bersama (the GOVERNMENT category), named in Indonesian."""

    def holidays_in(self, year: int) -> Mapping[date, Holiday]:
        """The holidays of `year`, by date; computed once per year per process."""
        return _national_holidays(year)


@lru_cache(maxsize=64)
def _national_holidays(year: int) -> Mapping[date, Holiday]:
    both = holiday_data.country_holidays(
        "ID", categories=(holiday_data.PUBLIC, holiday_data.GOVERNMENT), language="id", years=year
    )
    public = holiday_data.country_holidays("ID", categories=(holiday_data.PUBLIC,), language="id", years=year)
    return {
        day: Holiday(day, name, cuti_bersama=day not in public, estimated="(perkiraan)" in name)
        for day, name in sorted(both.items())
    }


NATIONAL_HOLIDAYS = NationalHolidays()


class WorkingCalendar:
    """Working days and service hours: the unit of every SLA, due moment and timer."""

    def __init__(
        self,
        holidays: HolidaySource = NATIONAL_HOLIDAYS,
        overrides: Iterable[Override] = (),
        hours: ServiceHours = SERVICE_HOURS,
        zone: ZoneInfo = OFFICE_ZONE,
        cuti_bersama_working: bool = False,
    ) -> None:
        self.holidays = holidays
        self.overrides: Mapping[date, Override] = {o.day: o for o in overrides}
        self.hours = hours
        self.zone = zone
        self.cuti_bersama_working = cuti_bersama_working

    def holiday(self, day: date) -> Holiday | None:
        """The national holiday or cuti bersama on `day`, whatever the overrides say."""
        return self.holidays.holidays_in(day.year).get(day)

    def holidays_of(self, year: int) -> list[Holiday]:
        """The national list of `year`, in date order."""
        return sorted(self.holidays.holidays_in(year).values(), key=lambda h: h.day)

    def is_working_day(self, day: date) -> bool:
        """True when the office serves on `day` (a local date)."""
        override = self.overrides.get(day)
        if override is not None and not override.working:
            return False
        if not self.hours.periods(day):
            return False
        if override is not None:
            return True
        holiday = self.holiday(day)
        return holiday is None or (holiday.cuti_bersama and self.cuti_bersama_working)

    def in_service_hours(self, moment: datetime) -> bool:
        """True when `moment` falls inside a service period of a working day."""
        return self.next_working_moment(moment) == moment.astimezone(UTC)

    def next_working_moment(self, moment: datetime) -> datetime:
        """`moment` itself when the office is serving then, else the next opening (UTC)."""
        local = _aware(moment).astimezone(self.zone)
        day = local.date()
        for _ in range(_LONGEST_BREAK):
            if self.is_working_day(day):
                for period in self.hours.periods(day):
                    start, end = self._local(day, period.start), self._local(day, period.end)
                    if local < end:
                        return max(local, start).astimezone(UTC)
            day += timedelta(days=1)
        raise ValueError(f"no working day within {_LONGEST_BREAK} days of {local:%Y-%m-%d}")

    def add_working_days(self, start: date | datetime, n: int) -> date:
        """The n-th working day after `start`'s local date (before it when n < 0).

        With n = 0: that date when it is a working day, else the next working day.
        """
        day = self.local_date(start)
        if n == 0:
            return day if self.is_working_day(day) else self._next(day, 1)
        for _ in range(abs(n)):
            day = self._next(day, 1 if n > 0 else -1)
        return day

    def close_of_service(self, day: date) -> datetime:
        """The moment (UTC) service ends on working day `day`."""
        if not self.is_working_day(day):
            raise ValueError(f"{day.isoformat()} is not a working day")
        return self._local(day, self.hours.periods(day)[-1].end).astimezone(UTC)

    def due_at(self, received: datetime, working_days: int) -> datetime:
        """The close of service on the `working_days`-th working day after the request was received.

        A request received outside service hours counts from the next working moment.
        """
        if working_days < 0:
            raise ValueError("a time limit is zero or more working days")
        start = self.next_working_moment(received)
        return self.close_of_service(self.add_working_days(start, working_days))

    def working_days_between(self, a: date | datetime, b: date | datetime) -> int:
        """Working days after `a`'s local date up to and including `b`'s (negative when b is before a).

        The inverse of `add_working_days`: `working_days_between(d, add_working_days(d, n)) == n` for
        n >= 1. For elapsed time since a request, pass `next_working_moment(received)` as `a`.
        """
        first, last = self.local_date(a), self.local_date(b)
        if last < first:
            return -self.working_days_between(last, first)
        return sum(1 for offset in range(1, (last - first).days + 1) if self.is_working_day(first + timedelta(offset)))

    def local_date(self, value: date | datetime) -> date:
        """The office's date of a moment (a date stays as it is)."""
        if isinstance(value, datetime):
            return _aware(value).astimezone(self.zone).date()
        return value

    def _next(self, day: date, step: int) -> date:
        for _ in range(_LONGEST_BREAK):
            day += timedelta(days=step)
            if self.is_working_day(day):
                return day
        raise ValueError(f"no working day within {_LONGEST_BREAK} days of {day.isoformat()}")

    def _local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.zone)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the calendar takes aware datetimes (UTC); got a naive one")
    return moment
