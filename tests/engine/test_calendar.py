"""The working-day calendar on the real holiday data: 2026's holidays, counting, service hours, due moments."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from engine.calendar import SERVICE_HOURS, Override, Period, ServiceHours, WorkingCalendar

WIB = ZoneInfo("Asia/Jakarta")
calendar = WorkingCalendar()


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment given in Jakarta time, as the calendar takes it (UTC)."""
    return datetime(year, month, day, hour, minute, tzinfo=WIB).astimezone(UTC)


# The 2026 joint ministerial decree (SKB 3 Menteri): 17 national holidays and 8 cuti bersama days.
PUBLIC_2026 = {
    date(2026, 1, 1): "Tahun Baru Masehi",
    date(2026, 1, 16): "Isra Mikraj Nabi Muhammad",
    date(2026, 2, 17): "Tahun Baru Imlek",
    date(2026, 3, 19): "Hari Suci Nyepi",
    date(2026, 3, 21): "Hari Raya Idul Fitri",
    date(2026, 3, 22): "Hari kedua dari Hari Raya Idul Fitri",
    date(2026, 4, 3): "Wafat Yesus Kristus",
    date(2026, 4, 5): "Kebangkitan Yesus Kristus",
    date(2026, 5, 1): "Hari Buruh Internasional",
    date(2026, 5, 14): "Kenaikan Yesus Kristus",
    date(2026, 5, 27): "Hari Raya Idul Adha",
    date(2026, 5, 31): "Hari Raya Waisak",
    date(2026, 6, 1): "Hari Lahir Pancasila",
    date(2026, 6, 16): "Tahun Baru Islam",
    date(2026, 8, 17): "Hari Kemerdekaan Republik Indonesia",
    date(2026, 8, 25): "Maulid Nabi Muhammad",
    date(2026, 12, 25): "Hari Raya Natal",
}
CUTI_BERSAMA_2026 = {
    date(2026, 2, 16): "Cuti Bersama Tahun Baru Imlek",
    date(2026, 3, 18): "Cuti Bersama Hari Suci Nyepi",
    date(2026, 3, 20): "Cuti Bersama Hari Raya Idul Fitri",
    date(2026, 3, 23): "Cuti Bersama Hari Raya Idul Fitri",
    date(2026, 3, 24): "Cuti Bersama Hari Raya Idul Fitri",
    date(2026, 5, 15): "Cuti Bersama Kenaikan Yesus Kristus",
    date(2026, 5, 28): "Cuti Bersama Hari Raya Idul Adha",
    date(2026, 12, 24): "Cuti Bersama Hari Raya Natal",
}


class TestHolidays2026:
    def test_the_national_holidays_and_cuti_bersama_of_2026(self) -> None:
        listed = calendar.holidays_of(2026)
        assert {h.day: h.name for h in listed if not h.cuti_bersama} == PUBLIC_2026
        assert {h.day: h.name for h in listed if h.cuti_bersama} == CUTI_BERSAMA_2026
        assert not any(h.estimated for h in listed)

    def test_holidays_and_cuti_bersama_are_not_working_days_by_default(self) -> None:
        assert not any(calendar.is_working_day(d) for d in [*PUBLIC_2026, *CUTI_BERSAMA_2026])
        assert calendar.is_working_day(date(2026, 3, 17))  # an ordinary Tuesday
        assert not calendar.is_working_day(date(2026, 3, 14))  # Saturday

    def test_cuti_bersama_can_count_as_working_days(self) -> None:
        lenient = WorkingCalendar(cuti_bersama_working=True)
        assert all(lenient.is_working_day(d) for d in CUTI_BERSAMA_2026)
        assert not any(lenient.is_working_day(d) for d in PUBLIC_2026)

    def test_later_years_are_marked_as_estimates(self) -> None:
        idul_fitri = calendar.holiday(date(2028, 2, 27))
        assert idul_fitri is not None and idul_fitri.estimated and "(perkiraan)" in idul_fitri.name


class TestCounting:
    def test_2026_03_17_plus_five_working_days_is_2026_03_31(self) -> None:
        # Nyepi (19th), Idul Fitri (21st-22nd, a weekend) and four cuti bersama days lie between.
        assert calendar.add_working_days(date(2026, 3, 17), 5) == date(2026, 3, 31)
        assert [calendar.add_working_days(date(2026, 3, 17), n) for n in range(1, 5)] == [
            date(2026, 3, 25),
            date(2026, 3, 26),
            date(2026, 3, 27),
            date(2026, 3, 30),
        ]

    def test_with_cuti_bersama_working_the_same_span_is_shorter(self) -> None:
        assert WorkingCalendar(cuti_bersama_working=True).add_working_days(date(2026, 3, 17), 5) == date(2026, 3, 25)

    def test_a_moment_counts_on_its_jakarta_date(self) -> None:
        # 2026-03-16 23:30 UTC is already Tuesday the 17th in Jakarta.
        assert calendar.add_working_days(datetime(2026, 3, 16, 23, 30, tzinfo=UTC), 5) == date(2026, 3, 31)

    def test_zero_days_is_the_day_itself_or_the_next_working_day(self) -> None:
        assert calendar.add_working_days(date(2026, 3, 17), 0) == date(2026, 3, 17)
        assert calendar.add_working_days(date(2026, 3, 18), 0) == date(2026, 3, 25)

    def test_counting_backwards(self) -> None:
        assert calendar.add_working_days(date(2026, 3, 31), -5) == date(2026, 3, 17)

    def test_working_days_between_is_the_inverse(self) -> None:
        assert calendar.working_days_between(date(2026, 3, 17), date(2026, 3, 31)) == 5
        assert calendar.working_days_between(date(2026, 3, 31), date(2026, 3, 17)) == -5
        assert calendar.working_days_between(date(2026, 3, 17), date(2026, 3, 17)) == 0
        assert calendar.working_days_between(wib(2026, 3, 17, 10), wib(2026, 3, 24, 13)) == 0
        for n in (1, 14, 40):
            assert calendar.working_days_between(date(2026, 5, 8), calendar.add_working_days(date(2026, 5, 8), n)) == n

    def test_2026_has_240_working_days(self) -> None:
        # 261 weekdays, less the 13 national holidays that fall on one and the 8 cuti bersama days.
        assert calendar.working_days_between(date(2025, 12, 31), date(2026, 12, 31)) == 240


class TestServiceHours:
    def test_the_seed_hours_are_data(self) -> None:
        assert SERVICE_HOURS.as_data() == {
            "monday": ["09:00-12:00", "12:30-14:00"],
            "tuesday": ["09:00-12:00", "12:30-14:00"],
            "wednesday": ["09:00-12:00", "12:30-14:00"],
            "thursday": ["09:00-12:00", "12:30-14:00"],
            "friday": ["08:00-10:30"],
        }

    @pytest.mark.parametrize(
        ("received", "next_moment"),
        [
            (wib(2026, 3, 17, 10, 0), wib(2026, 3, 17, 10, 0)),  # serving: the moment itself
            (wib(2026, 3, 17, 9, 0), wib(2026, 3, 17, 9, 0)),  # at opening
            (wib(2026, 3, 17, 7, 30), wib(2026, 3, 17, 9, 0)),  # before opening
            (wib(2026, 3, 17, 12, 10), wib(2026, 3, 17, 12, 30)),  # the midday break
            (wib(2026, 3, 17, 14, 0), wib(2026, 3, 25, 9, 0)),  # at closing: after Nyepi and Lebaran
            (wib(2026, 3, 13, 10, 29), wib(2026, 3, 13, 10, 29)),  # Friday, before 10.30
            (wib(2026, 3, 13, 10, 30), wib(2026, 3, 16, 9, 0)),  # Friday closing: Monday
            (wib(2026, 3, 14, 10, 0), wib(2026, 3, 16, 9, 0)),  # Saturday
            (wib(2026, 3, 12, 8, 30), wib(2026, 3, 12, 9, 0)),  # Thursday opens later than Friday
        ],
    )
    def test_next_working_moment(self, received: datetime, next_moment: datetime) -> None:
        assert calendar.next_working_moment(received) == next_moment
        assert calendar.in_service_hours(received) == (received == next_moment)

    def test_close_of_service(self) -> None:
        assert calendar.close_of_service(date(2026, 3, 31)) == wib(2026, 3, 31, 14, 0)
        assert calendar.close_of_service(date(2026, 3, 27)) == wib(2026, 3, 27, 10, 30)  # Friday
        assert calendar.close_of_service(date(2026, 3, 31)).tzinfo is UTC
        with pytest.raises(ValueError, match="not a working day"):
            calendar.close_of_service(date(2026, 3, 19))

    def test_hours_are_checked(self) -> None:
        with pytest.raises(ValueError, match="HH:MM-HH:MM"):
            ServiceHours.parse({"monday": ["9-12"]})
        with pytest.raises(ValueError, match="end after"):
            ServiceHours.parse({"monday": ["12:00-09:00"]})
        with pytest.raises(ValueError, match="overlap"):
            ServiceHours.parse({"monday": ["09:00-12:00", "11:00-14:00"]})
        with pytest.raises(ValueError, match="unknown weekday"):
            ServiceHours.parse({"senin": ["09:00-12:00"]})

    def test_other_hours_change_the_working_moments(self) -> None:
        saturdays = WorkingCalendar(hours=ServiceHours({5: [Period(time(8), time(12))]}))
        assert saturdays.is_working_day(date(2026, 3, 14)) and not saturdays.is_working_day(date(2026, 3, 17))
        assert saturdays.next_working_moment(wib(2026, 3, 16, 10)) == wib(2026, 3, 28, 8)

    def test_naive_datetimes_are_refused(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            calendar.next_working_moment(datetime(2026, 3, 17, 10))  # naive: the point of the test


class TestDueMoments:
    def test_a_request_filed_inside_service_hours_counts_from_that_day(self) -> None:
        assert calendar.due_at(wib(2026, 3, 17, 10, 0), 5) == wib(2026, 3, 31, 14, 0)

    def test_before_opening_and_in_the_break_count_from_the_same_day(self) -> None:
        assert calendar.due_at(wib(2026, 3, 17, 7, 0), 5) == wib(2026, 3, 31, 14, 0)
        assert calendar.due_at(wib(2026, 3, 17, 12, 15), 5) == wib(2026, 3, 31, 14, 0)

    def test_a_request_filed_after_closing_counts_from_the_next_working_day(self) -> None:
        # Tuesday 15.00: the next working day is Wednesday the 25th (after Nyepi and Lebaran).
        assert calendar.due_at(wib(2026, 3, 17, 15, 0), 5) == wib(2026, 4, 1, 14, 0)

    def test_a_request_filed_on_a_holiday_or_weekend_counts_from_the_next_working_day(self) -> None:
        assert calendar.due_at(wib(2026, 3, 19, 10, 0), 5) == wib(2026, 4, 1, 14, 0)  # Nyepi
        assert calendar.due_at(wib(2026, 3, 14, 10, 0), 1) == wib(2026, 3, 17, 14, 0)  # Saturday: Monday, then Tuesday

    def test_a_due_day_on_friday_closes_at_10_30(self) -> None:
        assert calendar.due_at(wib(2026, 3, 2, 10, 0), 4) == wib(2026, 3, 6, 10, 30)

    def test_the_14_working_day_completion_limit(self) -> None:
        # Filed on Friday the 13th after 10.30: counts from Monday the 16th; Lebaran and Good Friday between.
        assert calendar.due_at(wib(2026, 3, 13, 11, 0), 14) == wib(2026, 4, 13, 14, 0)

    def test_zero_days_is_the_close_of_the_starting_day(self) -> None:
        assert calendar.due_at(wib(2026, 3, 17, 15, 0), 0) == wib(2026, 3, 25, 14, 0)
        with pytest.raises(ValueError):
            calendar.due_at(wib(2026, 3, 17, 10, 0), -1)


class TestOverrides:
    def test_an_override_decides_its_date(self) -> None:
        overridden = WorkingCalendar(
            overrides=[
                Override(date(2026, 3, 18), working=True, reference="Contoh: cuti bersama dibatalkan"),
                Override(date(2026, 3, 17), working=False, reference="Contoh: libur baru"),
                Override(date(2026, 3, 19), working=True, reference="Contoh: Nyepi dipindahkan"),
            ]
        )
        assert overridden.is_working_day(date(2026, 3, 18)) and overridden.is_working_day(date(2026, 3, 19))
        assert not overridden.is_working_day(date(2026, 3, 17))
        assert overridden.add_working_days(date(2026, 3, 16), 2) == date(2026, 3, 19)

    def test_a_holiday_override_holds_even_when_cuti_bersama_is_working(self) -> None:
        strict = WorkingCalendar(
            overrides=[Override(date(2026, 3, 18), working=False, reference="x")], cuti_bersama_working=True
        )
        assert not strict.is_working_day(date(2026, 3, 18)) and strict.is_working_day(date(2026, 3, 20))

    def test_a_weekend_has_no_service_hours_even_when_overridden(self) -> None:
        weekend = WorkingCalendar(overrides=[Override(date(2026, 3, 14), working=True, reference="x")])
        assert not weekend.is_working_day(date(2026, 3, 14))
