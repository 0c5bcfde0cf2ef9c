"""The loop that fires due timers (and sends pending mail), and the letter worker beside it: threads
of `mediasi serve`, or `mediasi worker` on its own.

Every tick fires whatever is due and then sleeps `Settings.timer_interval` seconds, or less when the
next timer is due sooner. All coordination is in the database (SKIP LOCKED and the cases' version
counters), so any number of loops may run against one database. A timer whose step fails is put off
with a back-off and recorded as an incident (engine.services.timers), so the tick goes on to the next.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from engine.context import EngineContext
from engine.services import follow_ups, letter_jobs, notifications, timers

log = logging.getLogger("mediasi.scheduler")


@dataclass
class Tick:
    """What one tick did."""

    fired: list[timers.Fired] = field(default_factory=list)  # failed steps included, with their error
    mailed: int = 0
    letters: list[letter_jobs.Outcome] = field(default_factory=list)  # failed ones included
    follow_ups: list[str] = field(default_factory=list)  # the follow-up cases started (R12)


class Scheduler:
    """Fires due timers for one engine context."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.letters = letter_jobs.LetterWorker(ctx)

    def tick(self) -> Tick:
        """Fire every timer due now, start the follow-ups owed; send pending mail when SMTP is configured."""
        tick = Tick(fired=timers.fire_due(self.ctx))
        tick.follow_ups = follow_ups.start_due(self.ctx)
        tick.letters = letter_jobs.render_pending(self.ctx)  # those the timers' steps called for too
        for fired in tick.fired:
            if fired.elements:
                log.info("timer %s pada kasus %s", ", ".join(fired.elements), fired.case_number)
        if self.ctx.settings.smtp_url:
            tick.mailed = notifications.deliver_mail(self.ctx)
        return tick

    def run(self) -> None:
        """Tick until `stop()`, with the letter worker in a thread beside; a failing tick is logged and
        retried at the next one."""
        self.letters.start()
        try:
            while not self._stop.is_set():
                try:
                    self.tick()
                except Exception:  # a database outage must not end the loop
                    log.exception("penjadwal gagal; dicoba lagi")
                self._stop.wait(self._pause())
        finally:
            self.letters.stop()

    def start(self) -> threading.Thread:
        """Run the loop in a daemon thread."""
        self._thread = threading.Thread(target=self.run, name="mediasi-scheduler", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to end and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _pause(self) -> float:
        interval = self.ctx.settings.timer_interval
        try:
            due = timers.next_due(self.ctx)
        except Exception:  # noqa: BLE001 - the next tick reports it
            return interval
        if due is None:
            return interval
        # At least a second: a timer that is due but does not fire (its row disagrees with its
        # workflow, which is logged) must not turn the loop into a busy one.
        return max(min(1.0, interval), min(interval, (due - self.ctx.clock.now()).total_seconds()))
