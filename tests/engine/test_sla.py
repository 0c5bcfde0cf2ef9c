"""Service-level clocks on the real 2026 calendar: states, start, pause and resume, stop, parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine import sla
from engine.calendar import WorkingCalendar
from engine.sla import COMPLETENESS, ClockSpec, SlaState

WIB = ZoneInfo("Asia/Jakarta")
calendar = WorkingCalendar()
MICROSECOND = timedelta(microseconds=1)


def wib(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment of 2026 given in Jakarta time, as the engine keeps it (UTC)."""
    return datetime(2026, month, day, hour, minute, tzinfo=WIB).astimezone(UTC)


def both_clocks(now: datetime) -> sla.Clocks:
    """The SOP's clocks, started at `now` as when the Ketua LP-PAR confirms the file complete."""
    clocks: sla.Clocks = {}
    sla.start(clocks, sla.parse_clock_specs("respons:5 penyelesaian:14"), now, calendar)
    return clocks


class TestSlaState:
    def test_no_due_moment_has_no_state(self) -> None:
        assert sla.sla_state(None, wib(3, 12, 10), calendar) is None

    def test_boundaries_on_an_ordinary_thursday(self) -> None:
        # Thursday 12 March, 10:00: one working day ahead is the close of Friday's short service (10:30).
        now = wib(3, 12, 10)
        friday_close = wib(3, 13, 10, 30)
        assert sla.sla_state(friday_close, now, calendar) is SlaState.DUE_SOON
        assert sla.sla_state(friday_close + MICROSECOND, now, calendar) is SlaState.ON_TIME
        assert sla.sla_state(now, now, calendar) is SlaState.DUE_SOON  # due this very moment: not yet late
        assert sla.sla_state(now - MICROSECOND, now, calendar) is SlaState.OVERDUE

    def test_a_weekend_does_not_count(self) -> None:
        # On Friday 13 March, the next working day is Monday 16: due then is due within one working day.
        now = wib(3, 13, 9)
        assert sla.sla_state(wib(3, 16, 14), now, calendar) is SlaState.DUE_SOON
        assert sla.sla_state(wib(3, 17, 14), now, calendar) is SlaState.ON_TIME

    def test_nyepi_idul_fitri_and_cuti_bersama_do_not_count(self) -> None:
        # Tuesday 17 March: 18 (cuti bersama), 19 (Nyepi), 20 (cuti bersama), 21-22 (Idul Fitri, weekend),
        # 23 and 24 (cuti bersama) are off, so a task due eight days later is still due "within a day".
        now = wib(3, 17, 9)
        assert calendar.due_at(now, 1) == wib(3, 25, 14)
        assert sla.sla_state(wib(3, 25, 14), now, calendar) is SlaState.DUE_SOON
        assert sla.sla_state(wib(3, 26, 14), now, calendar) is SlaState.ON_TIME
        assert sla.sla_state(wib(3, 16, 14), now, calendar) is SlaState.OVERDUE

    def test_states_have_indonesian_labels(self) -> None:
        assert [s.label for s in SlaState] == ["Tepat waktu", "Jatuh tempo dalam 1 hari kerja", "Terlambat"]
        assert [s.value for s in SlaState] == ["tepat_waktu", "segera", "terlambat"]


class TestStart:
    def test_clocks_count_working_days_past_the_holidays(self) -> None:
        now = wib(3, 17, 9)
        clocks = both_clocks(now)
        assert datetime.fromisoformat(clocks["respons"]["due"]) == wib(3, 31, 14)  # 17 Mar + 5 working days
        assert datetime.fromisoformat(clocks["penyelesaian"]["due"]) == wib(4, 14, 14)  # Good Friday 3 Apr off
        assert clocks["respons"] == {"days": 5, "started": now.isoformat(), "due": wib(3, 31, 14).isoformat()}
        assert sla.running(clocks) == ["respons", "penyelesaian"] and not sla.paused(clocks)
        assert sla.clock_due(clocks) == wib(3, 31, 14)

    def test_a_clock_that_ran_does_not_start_again(self) -> None:
        clocks = both_clocks(wib(3, 17, 9))
        assert sla.start(clocks, [ClockSpec("respons", 3)], wib(4, 6, 9), calendar) == []
        assert datetime.fromisoformat(clocks["respons"]["due"]) == wib(3, 31, 14)

    def test_no_clocks_no_due_moment(self) -> None:
        assert sla.clock_due({}) is None and sla.running({}) == []


class TestPauseAndResume:
    def test_a_pause_moves_the_due_moment_by_the_working_days_it_lasted(self) -> None:
        clocks = both_clocks(wib(3, 17, 9))
        assert sla.pause(clocks, wib(3, 25, 10), "Menunggu pemohon melengkapi berkas") == ["respons", "penyelesaian"]
        assert sla.paused(clocks) and clocks["respons"]["reason"] == "Menunggu pemohon melengkapi berkas"
        assert sla.clock_due(clocks) == wib(3, 31, 14)  # a paused clock keeps its due moment until it resumes
        # Wednesday 25 to Friday 27 March: two working days (26, 27) waiting on the applicant.
        assert sla.resume(clocks, wib(3, 27, 9), calendar) == {"respons": 2, "penyelesaian": 2}
        assert datetime.fromisoformat(clocks["respons"]["due"]) == wib(4, 2, 14)
        assert datetime.fromisoformat(clocks["penyelesaian"]["due"]) == wib(4, 16, 14)
        assert "paused" not in clocks["respons"] and "reason" not in clocks["respons"]  # stored sparse
        assert clocks["respons"]["paused_days"] == 2 and not sla.paused(clocks)

    def test_a_pause_over_good_friday_and_a_weekend_is_one_working_day(self) -> None:
        clocks = both_clocks(wib(3, 17, 9))
        sla.pause(clocks, wib(4, 2, 13), "Menunggu pemohon")
        assert sla.resume(clocks, wib(4, 6, 9), calendar) == {"respons": 1, "penyelesaian": 1}
        assert datetime.fromisoformat(clocks["respons"]["due"]) == wib(4, 1, 14)

    def test_pauses_add_up_and_a_same_day_pause_costs_nothing(self) -> None:
        clocks = both_clocks(wib(3, 17, 9))
        sla.pause(clocks, wib(3, 25, 10), "Menunggu pemohon")
        sla.resume(clocks, wib(3, 25, 13), calendar)
        assert "paused_days" not in clocks["respons"]
        assert datetime.fromisoformat(clocks["respons"]["due"]) == wib(3, 31, 14)
        sla.pause(clocks, wib(3, 26, 10), "Menunggu pemohon")
        sla.resume(clocks, wib(3, 30, 9), calendar)  # Friday 27 and Monday 30
        assert clocks["respons"]["paused_days"] == 2

    def test_pausing_again_keeps_the_first_moment_and_reason(self) -> None:
        clocks = both_clocks(wib(3, 17, 9))
        sla.pause(clocks, wib(3, 25, 10), "Berkas belum lengkap")
        assert sla.pause(clocks, wib(3, 26, 10), "Alasan lain") == []
        assert clocks["respons"]["paused"] == wib(3, 25, 10).isoformat()
        assert clocks["respons"]["reason"] == "Berkas belum lengkap"


class TestStop:
    def test_a_clock_stopped_by_its_due_moment_is_met(self) -> None:
        clocks = both_clocks(wib(3, 17, 9))
        assert sla.stop(clocks, ["respons"], wib(3, 31, 14), calendar) == ["respons"]
        assert clocks["respons"]["met"] is True and clocks["respons"]["stopped"] == wib(3, 31, 14).isoformat()
        assert sla.running(clocks) == ["penyelesaian"] and sla.clock_due(clocks) == wib(4, 14, 14)

    def test_a_clock_stopped_after_its_due_moment_is_not_met(self) -> None:
        clocks = both_clocks(wib(3, 17, 9))
        sla.stop(clocks, ["respons", "penyelesaian"], wib(3, 31, 14) + MICROSECOND, calendar)
        assert clocks["respons"]["met"] is False and clocks["penyelesaian"]["met"] is True
        assert sla.clock_due(clocks) is None

    def test_stopping_a_paused_clock_first_gives_back_the_wait(self) -> None:
        clocks = both_clocks(wib(3, 17, 9))
        sla.pause(clocks, wib(3, 30, 9), "Menunggu pemohon")
        # Resumed by the stop on Thursday 2 April: three working days paused, due 31 Mar + 3 = 3 Apr is Good
        # Friday, so 6 April; stopping on 2 April is therefore in time.
        sla.stop(clocks, ["respons"], wib(4, 2, 10), calendar)
        assert clocks["respons"]["met"] is True and clocks["respons"]["paused_days"] == 3
        assert datetime.fromisoformat(clocks["respons"]["due"]) == wib(4, 6, 14)

    def test_unknown_and_stopped_clocks_are_left_alone(self) -> None:
        clocks = both_clocks(wib(3, 17, 9))
        sla.stop(clocks, ["respons"], wib(3, 30, 9), calendar)
        assert sla.stop(clocks, ["respons", "tidak_ada"], wib(4, 20, 9), calendar) == []
        assert clocks["respons"]["stopped"] == wib(3, 30, 9).isoformat() and "tidak_ada" not in clocks


class TestTaskDue:
    def test_the_completeness_check_is_due_by_the_setting(self) -> None:
        assert sla.task_due({}, COMPLETENESS, wib(3, 17, 9), calendar, 1) == wib(3, 25, 14)

    def test_a_task_due_in_hours_counts_clock_hours(self) -> None:
        assert sla.task_due({}, 72, wib(3, 17, 9), calendar, 1) == wib(3, 20, 9)

    def test_other_tasks_are_due_with_the_earliest_running_clock(self) -> None:
        clocks = both_clocks(wib(3, 17, 9))
        assert sla.task_due(clocks, None, wib(3, 26, 9), calendar, 1) == wib(3, 31, 14)
        assert sla.task_due({}, None, wib(3, 26, 9), calendar, 1) is None


class TestParsing:
    def test_clock_specs(self) -> None:
        assert sla.parse_clock_specs(" respons:5  penyelesaian:14 ") == [
            ClockSpec("respons", 5),
            ClockSpec("penyelesaian", 14),
        ]

    @pytest.mark.parametrize("text", ["", "   ", "respons", "respons:", "respons:lima", "respons:-1", "5:respons"])
    def test_bad_clock_specs_are_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match=r"slaStart kosong|nama:hari"):
            sla.parse_clock_specs(text)

    def test_task_due_rules(self) -> None:
        assert sla.parse_task_due(" kelengkapan ") == COMPLETENESS
        assert sla.parse_task_due("72h") == 72

    @pytest.mark.parametrize("text", ["", "h", "0h", "-3h", "3d", "72", "Kelengkapan"])
    def test_bad_task_due_rules_are_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match="slaDue"):
            sla.parse_task_due(text)
