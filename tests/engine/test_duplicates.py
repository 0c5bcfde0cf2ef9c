"""Filing twice: one-time form tokens, the likely-duplicate warning, and closing a duplicate as "duplikat"."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.errors import (
    AlreadyFiled,
    Conflict,
    DuplicateSuspected,
    EarlierCase,
    FormInvalid,
    FormSpent,
    InvalidInput,
    PermissionDenied,
)
from engine.persistence.models import Case, Event, FormReceipt
from engine.services import audit, exports, replays, statistics
from engine.services import cases as case_service
from engine.services import queries as case_queries
from engine.services import users as user_service
from engine.services.duplicates import FilingKey, filing_key, normalized_name, normalized_phone, victim_initials
from engine.settings import Settings
from tests.builders import application, steps, walk
from tests.conftest import OPERATOR

People = dict[str, Actor]
SITI = [{"nama": "Siti Rahayu", "umur": 30, "jenis_kelamin": "perempuan"}]


def count_cases(ctx: EngineContext) -> int:
    with ctx.unit_of_work(write=False) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Case)) or 0)


def count_events(ctx: EngineContext, case_id: Any) -> int:
    with ctx.unit_of_work(write=False) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Event).where(Event.case_id == case_id)) or 0)


def row(ctx: EngineContext, number: str) -> Case:
    with ctx.unit_of_work(write=False) as uow:
        return uow.session.scalars(select(Case).where(Case.number == number)).one()


def walk_in(phone: str, nama: str = "Ibu Warsini") -> case_service.WalkInApplicant:
    return case_service.WalkInApplicant(nama=nama, telepon=phone)


@pytest.fixture
def fitri(ctx: EngineContext, people: People) -> Actor:
    """A second fulltimer: she reads the cases she filed, not Dewi's."""
    user_service.add_user(ctx, actor=OPERATOR, username="fitri", full_name="Fitri", roles=["fulltimer"], password=None)
    return user_service.actor_for(ctx, "fitri")


class TestTheKey:
    def test_names_and_phones_are_compared_normalized(self) -> None:
        assert normalized_name("  SITI   rahayu ") == normalized_name("Siti Rahayu") == "siti rahayu"
        phones = ["+62 812-3456-7890", "62812 3456 7890", "0812 3456 7890", "(0812) 34567890", "812-3456-7890"]
        assert {normalized_phone(p) for p in phones} == {"081234567890"}
        assert normalized_phone("0285 421234") == "0285421234"

    def test_initials(self) -> None:
        assert victim_initials("Siti Rahayu") == "S. R."
        assert victim_initials("  siti  (rahayu) ") == "S. R."
        assert victim_initials("A B C D E F G") == "A. B. C. D. E."  # as many as fit 16 characters
        assert victim_initials("-- ..") is None

    def test_the_key_is_keyed_and_ignores_spelling_of_the_same_name_and_phone(self) -> None:
        settings, dewi = Settings(secret_key="satu"), Actor("dewi", frozenset({"fulltimer"}), 3)
        one = filing_key(settings, {"korban": SITI}, phone="+62 812 3456 7890", actor=dewi)
        same = filing_key(settings, {"korban": [{"nama": " siti  RAHAYU"}]}, phone="081234567890", actor=dewi)
        assert one == same and one.victim_initials == "S. R."
        assert one.duplicate_key is not None and len(one.duplicate_key) == 64
        assert "siti" not in one.duplicate_key
        other_key = filing_key(
            replace(settings, duplicate_secret="dua"), {"korban": SITI}, phone="0812 3456 7890", actor=dewi
        )
        assert other_key.duplicate_key != one.duplicate_key
        other_phone = filing_key(settings, {"korban": SITI}, phone="0812 3456 7891", actor=dewi)
        assert other_phone.duplicate_key != one.duplicate_key
        assert filing_key(settings, {"pesan": "tanpa korban"}, phone=None, actor=dewi) == FilingKey(None, None)
        assert filing_key(settings, {"korban": SITI}, phone=None, actor=dewi) != one  # her own account, no phone


class TestFiling:
    def test_a_filing_records_the_initials_and_the_key(self, ctx: EngineContext, people: People) -> None:
        case = case_service.start_case(ctx, actor=people["ani"], data=application(korban=SITI))
        stored = row(ctx, case.number)
        assert stored.victim_initials == "S. R."
        expected = filing_key(ctx.settings, {"korban": SITI}, phone=None, actor=people["ani"])
        assert stored.duplicate_key == expected.duplicate_key

    def test_the_same_victim_within_30_days_needs_a_confirmation(
        self, ctx: EngineContext, clock: FixedClock, people: People
    ) -> None:
        first = case_service.start_case(ctx, actor=people["ani"], data=application(korban=SITI))
        clock.advance(timedelta(days=29))
        again = application(korban=[{**SITI[0], "nama": "SITI  rahayu"}])
        with pytest.raises(DuplicateSuspected) as refused:
            case_service.start_case(ctx, actor=people["ani"], data=again, warn_duplicates=True)
        assert refused.value.earlier == [EarlierCase(first.id, first.number)]
        assert first.number in refused.value.message
        assert count_cases(ctx) == 1
        confirmed = case_service.start_case(ctx, actor=people["ani"], data=again, warn_duplicates=False)
        assert confirmed.number != first.number and count_cases(ctx) == 2

    def test_after_30_days_or_for_another_victim_nothing_is_asked(
        self, ctx: EngineContext, clock: FixedClock, people: People
    ) -> None:
        case_service.start_case(ctx, actor=people["ani"], data=application(korban=SITI))
        other = [{**SITI[0], "nama": "Siti Aminah"}]
        case_service.start_case(ctx, actor=people["ani"], data=application(korban=other), warn_duplicates=True)
        clock.advance(timedelta(days=30, seconds=1))
        case_service.start_case(ctx, actor=people["ani"], data=application(korban=SITI), warn_duplicates=True)
        assert count_cases(ctx) == 3

    def test_an_earlier_case_the_filer_may_not_read_is_not_named(
        self, ctx: EngineContext, people: People, fitri: Actor
    ) -> None:
        first = case_service.start_case(
            ctx, actor=people["dewi"], data=application(korban=SITI), applicant=walk_in("0812-3456-7890")
        )
        with pytest.raises(DuplicateSuspected) as refused:
            case_service.start_case(
                ctx,
                actor=fitri,
                data=application(korban=SITI),
                applicant=walk_in("+62 812 3456 7890", nama="Warsini"),
                warn_duplicates=True,
            )
        assert refused.value.earlier == [EarlierCase(None, None)]
        assert "kasus lain" in refused.value.message and first.number not in refused.value.message
        assert count_cases(ctx) == 1

    def test_a_case_closed_as_duplicate_warns_no_more(self, ctx: EngineContext, people: People) -> None:
        first = case_service.start_case(ctx, actor=people["ani"], data=application(korban=SITI))
        second = case_service.start_case(ctx, actor=people["ani"], data=application(korban=SITI))
        case_service.close_as_duplicate(
            ctx, actor=people["rina"], case_ref=second.number, original=first.number, reason="Diajukan dua kali."
        )
        with pytest.raises(DuplicateSuspected) as refused:
            case_service.start_case(ctx, actor=people["ani"], data=application(korban=SITI), warn_duplicates=True)
        assert refused.value.earlier == [EarlierCase(first.id, first.number)]


class TestFormTokens:
    def test_a_second_filing_with_the_same_token_files_nothing_and_names_the_first(
        self, ctx: EngineContext, people: People
    ) -> None:
        first = case_service.start_case(ctx, actor=people["ani"], data=application(), form_token="token-satu")
        with pytest.raises(AlreadyFiled) as again:
            case_service.start_case(ctx, actor=people["ani"], data=application(), form_token="token-satu")
        assert (again.value.case_id, again.value.number) == (first.id, first.number)
        assert count_cases(ctx) == 1
        with ctx.unit_of_work(write=False) as uow:
            receipt = uow.session.scalars(select(FormReceipt)).one()
        assert receipt.token != "token-satu" and len(receipt.token) == 64  # only its SHA-256 is kept
        assert (receipt.user_id, receipt.case_id) == (people["ani"].user_id, first.id)

    def test_another_persons_token_is_honoured_for_nobody(self, ctx: EngineContext, people: People) -> None:
        first = case_service.start_case(ctx, actor=people["ani"], data=application(), form_token="bocor")
        with pytest.raises(FormSpent) as refused:
            case_service.start_case(ctx, actor=people["budi"], data=application(), form_token="bocor")
        assert not isinstance(refused.value, AlreadyFiled) and first.number not in refused.value.message
        assert count_cases(ctx) == 1

    def test_a_refused_filing_keeps_no_receipt(self, ctx: EngineContext, people: People) -> None:
        with pytest.raises(FormInvalid):
            case_service.start_case(ctx, actor=people["ani"], data=application(korban=[]), form_token="t")
        case = case_service.start_case(ctx, actor=people["ani"], data=application(), form_token="t")
        assert count_cases(ctx) == 1 and case.number.endswith("-0001")
        with pytest.raises(InvalidInput):
            case_service.start_case(ctx, actor=people["ani"], data=application(), form_token="x" * 256)

    def test_two_filings_racing_with_one_token_file_one_case(
        self, make_ctx: Callable[[], EngineContext], ctx: EngineContext, people: People, monkeypatch: Any
    ) -> None:
        """Both pass the read-time check before either writes: the check again behind the counter's lock decides,
        and the refused write takes no number."""
        results = race_two_filings(
            make_ctx,
            monkeypatch,
            lambda c, _i: case_service.start_case(c, actor=people["ani"], data=application(), form_token="klik-ganda"),
        )
        filed = [r for r in results if not isinstance(r, Exception)]
        refused = [r for r in results if isinstance(r, AlreadyFiled)]
        assert len(filed) == 1 and len(refused) == 1, results
        assert refused[0].number == filed[0].number and count_cases(ctx) == 1
        assert case_service.start_case(ctx, actor=people["ani"], data=application()).number.endswith("-0002")

    def test_two_filings_racing_for_the_same_victim_file_one_and_warn_the_other(
        self, make_ctx: Callable[[], EngineContext], ctx: EngineContext, people: People, monkeypatch: Any
    ) -> None:
        """Two tabs, two tokens: both pass the read-time check; the check in the write transaction decides."""
        results = race_two_filings(
            make_ctx,
            monkeypatch,
            lambda c, i: case_service.start_case(
                c, actor=people["ani"], data=application(korban=SITI), form_token=f"tab-{i}", warn_duplicates=True
            ),
        )
        filed = [r for r in results if not isinstance(r, Exception)]
        warned = [r for r in results if isinstance(r, DuplicateSuspected)]
        assert len(filed) == 1 and len(warned) == 1, results
        assert warned[0].earlier == [EarlierCase(filed[0].id, filed[0].number)] and count_cases(ctx) == 1
        with ctx.unit_of_work(write=False) as uow:
            assert uow.session.scalar(select(func.count()).select_from(FormReceipt)) == 1  # the warned tab's is unspent
        again = f"tab-{results.index(warned[0])}"  # the warned tab confirms with its own token
        confirmed = case_service.start_case(
            ctx, actor=people["ani"], data=application(korban=SITI), form_token=again, warn_duplicates=False
        )
        assert confirmed.number.endswith("-0002")  # the refused write took no number


def race_two_filings(
    make_ctx: Callable[[], EngineContext], monkeypatch: Any, file: Callable[[EngineContext, int], Any]
) -> list[Any]:
    """Run `file(ctx, i)` in two threads, each on its own context, both past their read transaction before
    either writes; each one's case or Conflict. The write is unpatched again when both are done."""
    barrier = threading.Barrier(2)
    write = case_service._file

    def both_read_first(*args: Any, **kwargs: Any) -> Any:
        barrier.wait(timeout=30)
        return write(*args, **kwargs)

    contexts = [make_ctx(), make_ctx()]
    results: list[Any] = [None, None]

    def run(i: int) -> None:
        try:
            results[i] = file(contexts[i], i)
        except Conflict as exc:
            results[i] = exc

    with monkeypatch.context() as patched:
        patched.setattr(case_service, "_file", both_read_first)
        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    return results


def close_second(ctx: EngineContext, people: People) -> tuple[Any, Any]:
    """Two filings of one request; the second has gone one step further."""
    first = case_service.start_case(ctx, actor=people["ani"], data=application())
    second = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, second, steps("Task_periksa_kelengkapan"))
    return first, second


class TestClosingAsDuplicate:
    def test_the_case_ends_as_duplikat_on_its_chain_and_replays(self, ctx: EngineContext, people: People) -> None:
        first, second = close_second(ctx, people)
        view = case_service.close_as_duplicate(
            ctx, actor=people["rina"], case_ref=second.number, original=first.number.lower(), reason="Ganda."
        )
        assert (view.status, view.outcome, view.tasks) == ("cancelled", "duplikat", [])
        with ctx.unit_of_work(write=False) as uow:
            last = uow.session.scalars(
                select(Event).where(Event.case_id == second.id).order_by(Event.seq.desc()).limit(1)
            ).one()
        assert last.type == "case_closed_as_duplicate"
        data = case_queries.case_events(ctx, second.number)[-1].data
        assert data == {"original": first.number, "reason": "Ganda."}
        result = replays.replay_case(ctx, case_ref=second.number).result
        assert result.ok and result.final_checked, result.divergence
        assert result.steps[-1].type == "case_closed_as_duplicate"
        assert audit.verify(ctx).ok and audit.verify(ctx, case_ref=second.number).ok
        assert row(ctx, first.number).status == "open"

    def test_refusals_change_nothing(self, ctx: EngineContext, people: People) -> None:
        first, second = close_second(ctx, people)
        complaint = case_service.start_case(
            ctx,
            actor=people["ani"],
            process_key="pengaduan_layanan",
            data={"saluran": "langsung", "perihal": "Lambat", "uraian": "Lama sekali.", "nomor_kasus": first.number},
        )

        def close(actor: str = "rina", original: str = first.number, reason: str = "Ganda.") -> None:
            case_service.close_as_duplicate(
                ctx, actor=people[actor], case_ref=second.number, original=original, reason=reason
            )

        before = (row(ctx, second.number).version, count_events(ctx, second.id))
        for who in ("tono", "ani", "kadin"):
            with pytest.raises(PermissionDenied):
                close(actor=who)
        refusals = {
            "original": ["", "MED-2099-9999", second.number, complaint.number],
            "reason": ["  "],
        }
        for field, values in refusals.items():
            for value in values:
                with pytest.raises(FormInvalid) as refused:
                    close(**{field: value})
                assert set(refused.value.errors) == {field}, (value, refused.value.errors)
        with pytest.raises(FormInvalid) as both:  # every field's error at once
            close(original="", reason="")
        assert set(both.value.errors) == {"original", "reason"}
        assert (row(ctx, second.number).version, count_events(ctx, second.id)) == before
        close()
        with pytest.raises(Conflict):
            close()
        third = case_service.start_case(ctx, actor=people["ani"], data=application())
        with pytest.raises(FormInvalid) as refused:  # the original may not be a duplicate itself
            case_service.close_as_duplicate(
                ctx, actor=people["rina"], case_ref=third.number, original=second.number, reason="Ganda."
            )
        assert "sudah ditutup sebagai duplikat" in refused.value.errors["original"]

    def test_a_duplicate_counts_in_no_figure(self, ctx: EngineContext, people: People) -> None:
        first, second = close_second(ctx, people)
        kadin = people["kadin"]

        def figures() -> tuple[int, int, list[str], int]:
            board = statistics.dashboard(ctx, actor=kadin, start=None, end=None)
            rows = exports.case_statistics_rows(ctx, actor=kadin, start=None, end=None).rows
            return board.cases, board.open_cases, [c.key for c in board.outcomes], len(rows)

        assert figures() == (2, 2, [], 2)
        case_service.close_as_duplicate(
            ctx, actor=people["rina"], case_ref=second.number, original=first.number, reason="Ganda."
        )
        assert figures() == (1, 1, [], 1)
        case_service.cancel_case(ctx, actor=people["rina"], case_ref=first.number, reason="Uji.")
        assert figures()[:3] == (1, 0, [])  # a cancelled case is still a filed case; only duplicates drop out
