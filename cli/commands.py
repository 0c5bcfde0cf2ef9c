"""The subcommands of `mediasi`: each parses its arguments and calls one engine service."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path

from cli.main import UsageError, operator, parse_json
from engine.actors import Actor
from engine.casework.views import CaseView, TaskView
from engine.context import EngineContext
from engine.errors import FormInvalid, InvalidInput, MediasiError
from engine.persistence import migrate
from engine.services import audit as audit_service
from engine.services import calendar_admin, exports, reads, reassignment, suspension
from engine.services import cases as case_service
from engine.services import deploy as deploy_service
from engine.services import migration as migration_service
from engine.services import packages as package_service
from engine.services import queries as case_queries
from engine.services import replays as replay_service
from engine.services import signatories as letter_settings
from engine.services import tasks as task_service
from engine.services import users as user_service


def _when(ctx: EngineContext, moment: datetime | None) -> str:
    return moment.astimezone(ctx.settings.zone).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _actor(ctx: EngineContext, args: argparse.Namespace) -> Actor:
    if not args.user:
        raise UsageError("--user wajib diisi")
    return user_service.actor_for(ctx, args.user)


def init(ctx: EngineContext, args: argparse.Namespace) -> None:
    migrate.upgrade(ctx.database)
    print("Skema basis data mutakhir.")
    for path in sorted(ctx.settings.processes_dir.glob("*.bpmn")):
        _init_process(ctx, path)
    signer = letter_settings.DEMO_SIGNER if args.demo else None
    for seeded in letter_settings.ensure_letter_defaults(ctx, actor=operator(), signer=signer):
        print(f"Surat: {seeded} ditambahkan; ubah di Admin › Surat.")
    if args.demo:
        created = user_service.ensure_demo_users(ctx, actor=operator())
        for demo in created:
            print(f"Pengguna demo {demo.username} ({demo.role}) dibuat.")
        print(f"Kata sandi semua pengguna demo: {user_service.DEMO_PASSWORD}")


def _init_process(ctx: EngineContext, path: Path) -> None:
    """Deploy one shipped diagram; under the two-person rule only a process's first version."""
    try:
        done = deploy_service.deploy_file(ctx, path, actor=operator(), initial=True)
    except deploy_service.ApprovalRequired:
        print(f"{path.name}: berubah, tetapi versi baru perlu persetujuan; ajukan: mediasi deploy {path} --user NAMA")
        return
    state = "diterapkan" if done.created else "tidak berubah"
    print(f"Proses {done.key} versi {done.version}: {state}.")


def serve(ctx: EngineContext, args: argparse.Namespace) -> None:
    """Serve the web app: --workers processes (MEDIASI_WORKERS, else 1), the scheduler in one place."""
    from cli import server

    workers = args.workers if args.workers is not None else server.workers_from_environ(os.environ)
    options = server.Options(
        host=args.host, port=args.port, threads=args.threads, workers=workers, scheduler=not args.no_scheduler
    )
    server.serve(ctx, options)


def worker(ctx: EngineContext, args: argparse.Namespace) -> None:
    """Fire timers (and send mail) in a loop of its own; --once: one tick, then exit."""
    from engine.scheduler import Scheduler

    scheduler = Scheduler(ctx)
    if args.once:
        tick = scheduler.tick()
        fired = [f for f in tick.fired if f.elements]
        for f in fired:
            print(f"Kasus {f.case_number}: timer {', '.join(f.elements)} berjalan.")
        for outcome in tick.letters:
            if outcome.error:
                print(f"Surat {outcome.job.number}: {outcome.error}")
        for number in tick.follow_ups:
            print(f"Pemantauan kesepakatan {number} dimulai.")
        made = sum(1 for outcome in tick.letters if outcome.document_id)
        print(
            f"{len(fired)} langkah timer, {len(tick.follow_ups)} pemantauan dimulai, {made} surat dibuat, "
            f"{tick.mailed} email terkirim."
        )
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    print(f"Pekerja timer berjalan (setiap {ctx.settings.timer_interval:g} detik; Ctrl+C untuk berhenti)", flush=True)
    scheduler.run()


def deploy(ctx: EngineContext, args: argparse.Namespace) -> None:
    """Deploy each FILE, or submit it for approval under the two-person rule."""
    actor = _deployer(ctx, args)
    lane_roles = deploy_service.read_lane_roles(args.lanes) if args.lanes else None
    for path in args.files:
        if not path.is_file():
            raise UsageError(f"berkas tidak ditemukan: {path}")
        if path.suffix.lower() == ".zip":
            if lane_roles is not None:
                raise UsageError("paket ZIP membawa peta lajurnya sendiri; --lanes tidak berlaku")
            done = package_service.deploy_package(ctx, actor=actor, content=path.read_bytes(), filename=str(path))
        else:
            lanes = lane_roles if lane_roles is not None else deploy_service.lanes_beside(path)
            done = deploy_service.deploy_or_submit(
                ctx, actor=actor, xml=path.read_bytes(), filename=str(path), lane_roles=lanes
            )
        print(f"{path}: {_deploy_outcome(done)}")


def _deployer(ctx: EngineContext, args: argparse.Namespace) -> Actor:
    if ctx.settings.deploy_approval:
        if not args.user:
            raise UsageError("--user NAMA wajib diisi: versi baru diajukan atas nama pemilik proses (aturan dua orang)")
        return _signed_in(ctx, args)
    if args.user:
        return user_service.actor_for(ctx, args.user)
    return operator()


def _signed_in(ctx: EngineContext, args: argparse.Namespace) -> Actor:
    """The --user proven by their password: a name alone must not stand in for a second person.

    The password comes from stdin with --password-stdin, or is asked for on a terminal.
    """
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        import getpass

        password = getpass.getpass(f"Kata sandi {args.user}: ")
    else:
        raise UsageError("kata sandi --user diperlukan (aturan dua orang): ketik saat diminta atau --password-stdin")
    return user_service.authenticate_password(ctx, args.user, password)


def _deploy_outcome(done: deploy_service.Deployment | deploy_service.Submission) -> str:
    if isinstance(done, deploy_service.Submission):
        return (
            f"proses {done.key} diajukan, menunggu persetujuan pemilik proses lain; pengajuan {done.id} "
            f"(setujui: mediasi approve {done.id} --user NAMA)."
        )
    state = "diterapkan" if done.created else "sama dengan versi terakhir; tidak diterapkan ulang"
    return f"proses {done.key} versi {done.version} {state}."


def approve(ctx: EngineContext, args: argparse.Namespace) -> None:
    """A second process owner approves a submission: it goes live in its submitter's name."""
    if not args.user:
        raise UsageError("--user wajib diisi")
    approver = _signed_in(ctx, args)
    done = deploy_service.deploy_submission(ctx, approver=approver, submission_id=args.submission)
    print(f"Pengajuan {args.submission} disetujui: {_deploy_outcome(done)}")


def user(ctx: EngineContext, args: argparse.Namespace) -> None:
    """`user add` and `user email`; a refused address names the option it came from."""
    try:
        if args.action == "email":
            user_email(ctx, args)
        else:
            user_add(ctx, args)
    except FormInvalid as error:
        raise InvalidInput("; ".join(f"--{field}: {message}" for field, message in error.errors.items())) from None


def user_email(ctx: EngineContext, args: argparse.Namespace) -> None:
    address = user_service.set_email(ctx, actor=operator(), username=args.username, email=args.email)
    print(f"Email {args.username}: {address}." if address else f"Email {args.username} dihapus.")


def user_add(ctx: EngineContext, args: argparse.Namespace) -> None:
    if not args.roles:
        raise UsageError("user add: sebutkan --role PERAN (boleh lebih dari sekali)")
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    generated = None
    if password is None:
        import secrets

        password = generated = secrets.token_urlsafe(12)
    user_service.add_user(
        ctx,
        actor=operator(),
        username=args.username,
        full_name=args.full_name or args.username,
        roles=args.roles,
        password=password,
        email=args.email,
    )
    print(f"Pengguna {args.username} dibuat dengan peran {', '.join(sorted(set(args.roles)))}.")
    if generated:
        print(f"Kata sandi awal: {generated}")


def token_create(ctx: EngineContext, args: argparse.Namespace) -> None:
    token = user_service.create_token(ctx, actor=operator(), username=args.username)
    print(f"Token API untuk {args.username} (simpan sekarang; tidak dapat ditampilkan lagi):", file=sys.stderr)
    print(token)


def cases(ctx: EngineContext, args: argparse.Namespace) -> None:
    page = case_queries.list_cases(ctx, status=args.status, search=args.search or "", page=args.page, per_page=100)
    if not page.items:
        print("Tidak ada kasus.")
    for c in page.items:
        print(f"{c.number}  {c.status:<9}  {c.outcome or '-':<16}  {_when(ctx, c.created_at)}  {c.id}")
    if page.total > page.page * page.per_page:
        print(f"(halaman {page.page}; {page.total} kasus; lanjutkan dengan --page {page.page + 1})")


def case(ctx: EngineContext, args: argparse.Namespace) -> None:
    if args.action == "start":
        _case_start(ctx, args)
        return
    if not args.case:
        raise UsageError("sebutkan id atau nomor kasus")
    if args.action == "show":
        view = case_queries.get_case(ctx, args.case)
        reads.record_read(ctx, actor=operator(), type=reads.CASE_READ, case_id=view.id)
        _print_case(ctx, view)
    elif args.action == "events":
        events = case_queries.case_events(ctx, args.case)
        case_id = case_queries.get_case(ctx, args.case).id
        reads.record_read(ctx, actor=operator(), type=reads.CASE_READ, case_id=case_id, detail={"view": "events"})
        for event in events:
            data = json.dumps(event.data, ensure_ascii=False) if event.data is not None else ""
            print(
                f"{event.seq:>3}  {_when(ctx, event.at)}  {event.type:<16} {event.element or '-':<28} "
                f"{event.actor:<14} {data}"
            )
    elif args.action == "cancel":  # the operator's act (a duplicate or test filing); --user acts as a Ketua
        if not args.reason:
            raise UsageError("--reason wajib diisi")
        actor = _actor(ctx, args) if args.user else operator()
        _print_case(ctx, case_service.cancel_case(ctx, actor=actor, case_ref=args.case, reason=args.reason))
    elif args.action in ("suspend", "resume"):  # the operator's (an administrator's); --user acts as that person
        actor = _actor(ctx, args) if args.user else operator()
        if args.action == "resume":
            _print_case(ctx, suspension.resume_case(ctx, actor=actor, case_ref=args.case))
        elif not args.reason:
            raise UsageError("--reason wajib diisi: pihak ketiga yang ditunggu")
        else:
            _print_case(ctx, suspension.suspend_case(ctx, actor=actor, case_ref=args.case, reason=args.reason))
    elif args.action == "duplicate":  # the Ketua's (--user) or the operator's: closed as "duplikat" of --original
        if not args.reason or not args.original:
            raise UsageError("case duplicate memerlukan --original NOMOR dan --reason")
        actor = _actor(ctx, args) if args.user else operator()
        view = case_service.close_as_duplicate(
            ctx, actor=actor, case_ref=args.case, original=args.original, reason=args.reason
        )
        _print_case(ctx, view)
    else:
        if not args.reason:
            raise UsageError("--reason wajib diisi")
        end = case_service.withdraw_case if args.action == "withdraw" else case_service.stop_case
        _print_case(ctx, end(ctx, actor=_actor(ctx, args), case_ref=args.case, reason=args.reason))


def _case_start(ctx: EngineContext, args: argparse.Namespace) -> None:
    data = parse_json(args.data, "--data")
    applicant = None
    if args.applicant:
        raw = parse_json(args.applicant, "--applicant")
        if not isinstance(raw, dict) or set(raw) - {"nama", "telepon", "alamat"}:
            raise UsageError('--applicant harus berupa {"nama": ..., "telepon": ..., "alamat"?: ...}')
        applicant = case_service.WalkInApplicant(
            nama=str(raw.get("nama", "")), telepon=str(raw.get("telepon", "")), alamat=raw.get("alamat")
        )
    view = case_service.start_case(
        ctx,
        actor=_actor(ctx, args),
        data=data,
        process_key=args.process,
        applicant=applicant,
        warn_duplicates=not args.confirm_duplicate,
    )
    _print_case(ctx, case_queries.get_case(ctx, str(view.id)))


def _print_case(ctx: EngineContext, view: CaseView) -> None:
    print(f"Kasus {view.number} ({view.id})")
    print(f"  Proses : {view.process_key} versi {view.process_version}")
    if view.applicant:
        print(f"  Pemohon: {view.applicant}")
    print(f"  Status : {view.status}" + (f", hasil {view.outcome}" if view.outcome else ""))
    print(f"  Dibuat : {_when(ctx, view.created_at)}; diubah {_when(ctx, view.updated_at)}")
    if view.suspended_at:
        print(f"  Ditangguhkan sejak {_when(ctx, view.suspended_at)}: {view.suspension_reason}")
    if view.tasks:
        print("  Tugas siap:")
        for ref in view.tasks:
            print(f"    {ref.id}  [{ref.lane}] {ref.title}")


def _print_task(ctx: EngineContext, t: TaskView) -> None:
    claimed = f"  diambil {t.claimed_by}" if t.claimed_by else ""
    print(f"{t.id}  {t.case_number}  [{t.lane}] {t.title}  sejak {_when(ctx, t.created_at)}{claimed}")


def calendar(ctx: EngineContext, args: argparse.Namespace) -> None:
    if args.action == "list":
        if args.date or args.working is not None or args.reference:
            raise UsageError("calendar list hanya menerima --year")
        _print_calendar_year(ctx, args.year or ctx.calendar().local_date(ctx.clock.now()).year)
        return
    if not args.date:
        raise UsageError(f"calendar {args.action}: sebutkan TANGGAL (TTTT-BB-HH)")
    if args.action == "remove":
        if args.working is not None or args.reference or args.year:
            raise UsageError("calendar remove hanya menerima TANGGAL")
        calendar_admin.remove_override(ctx, actor=operator(), day=args.date)
        print(f"Pengecualian {args.date} dihapus; tanggal itu kembali mengikuti daftar nasional.")
        return
    if args.working is None or args.reference is None or args.year:
        raise UsageError("calendar add TANGGAL: sebutkan --working atau --holiday, dan --reference")
    added = calendar_admin.add_override(
        ctx, actor=operator(), day=args.date, working=args.working, reference=args.reference
    )
    kind = "hari kerja" if added.working else "hari libur"
    print(f"{added.day.isoformat()} ({calendar_admin.day_name(added.day)}) kini {kind}: {added.reference}")


def export(ctx: EngineContext, args: argparse.Namespace) -> None:
    """Write a de-identified export; it is logged on the access chain, with the operator as actor."""
    try:
        period = exports.parse_period(args.dari, args.sampai)
    except FormInvalid as invalid:
        raise InvalidInput("; ".join(f"--{name}: {text}" for name, text in invalid.errors.items())) from None
    if not args.out.parent.is_dir():
        raise UsageError(f"--out: folder {args.out.parent} tidak ada")
    exported = exports.export(ctx, actor=operator(), kind=args.kind, fmt=args.fmt, period=period)
    # Owner-only: the rows are de-identified, yet small counts can still point to a person.
    descriptor = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(exported.content)
    print(f"{args.out}: {exported.rows} baris, SHA-256 {exported.sha256}")


def _print_calendar_year(ctx: EngineContext, year: int) -> None:
    view = calendar_admin.calendar_year(ctx, year=year)
    cuti = "hari kerja" if view.cuti_bersama_working else "hari libur"
    print(f"Kalender hari kerja {view.year}: {view.working_days} hari kerja; cuti bersama dihitung {cuti}.")
    for h in view.holidays:
        kind = "cuti bersama" if h.cuti_bersama else "libur nasional"
        counted = "  [dihitung hari kerja]" if h.counted_as_working else ""
        print(f"{h.day.isoformat()}  {calendar_admin.day_name(h.day):<6}  {kind:<14}  {h.name}{counted}")
    if not view.overrides:
        print("Tidak ada pengecualian.")
        return
    print("Pengecualian:")
    for o in view.overrides:
        kind = "hari kerja" if o.working else "hari libur"
        print(f"{o.day.isoformat()}  {calendar_admin.day_name(o.day):<6}  {kind:<14}  {o.reference}  ({o.created_by})")


def tasks(ctx: EngineContext, args: argparse.Namespace) -> None:
    actor = user_service.actor_for(ctx, args.user) if args.user else None
    rows = task_service.list_tasks(ctx, actor=actor)
    if not rows:
        print("Tidak ada tugas siap.")
    for t in rows:
        _print_task(ctx, t)


def task(ctx: EngineContext, args: argparse.Namespace) -> None:
    actor = _actor(ctx, args)
    if args.action == "complete":
        data = parse_json(args.data, "--data")
        view = task_service.complete_task(ctx, actor=actor, task_id=args.task_id, data=data)
        print("Tugas selesai.")
        _print_case(ctx, view)
    elif args.action == "show":
        detail = task_service.get_task(ctx, actor=actor, task_id=args.task_id)
        _print_task(ctx, detail.task)
        if detail.documentation:
            print(f"Petunjuk: {detail.documentation}")
        if detail.form:
            fields = ", ".join(detail.form.get("properties", {}))
            print(f"Formulir: {detail.form.get('title', '')} — isian: {fields}")
    elif args.action == "reassign":
        if not args.to:
            raise UsageError("task reassign memerlukan --to NAMA")
        reason = args.reason or ""
        _print_task(ctx, reassignment.reassign_task(ctx, actor=actor, task_id=args.task_id, to=args.to, reason=reason))
    elif args.action == "release" and args.reason is not None:  # a supervisor releases someone else's claim
        _print_task(ctx, reassignment.release_claim(ctx, actor=actor, task_id=args.task_id, reason=args.reason))
    else:
        change = task_service.claim_task if args.action == "claim" else task_service.release_task
        view = change(ctx, actor=actor, task_id=args.task_id)
        _print_task(ctx, view)


def audit(ctx: EngineContext, args: argparse.Namespace) -> None:
    if args.action == "anchor":
        if args.case or args.anchor:
            raise UsageError("audit anchor tidak menerima --case atau --anchor")
        anchor = audit_service.record_anchor(ctx, actor=operator())
        print(f"Jangkar dicatat {_when(ctx, anchor.at)} atas {anchor.chains} rantai; simpan di luar sistem:")
        print(anchor.hash)
        return
    result = audit_service.verify(ctx, case_ref=args.case, anchor=args.anchor)
    if not result.ok:
        problems = "; ".join(result.problems())
        raise MediasiError(f"Riwayat TIDAK utuh: {problems} ({result.events} peristiwa diperiksa).")
    anchored = " Jangkar cocok: tidak ada yang ditulis ulang atau dipotong sebelumnya." if args.anchor else ""
    print(f"Riwayat utuh: {result.chains} rantai, {result.events} peristiwa, {result.documents} dokumen.{anchored}")


def replay(ctx: EngineContext, args: argparse.Namespace) -> None:
    report = replay_service.replay_case(ctx, case_ref=args.case, to_step=args.to_step)
    result = report.result
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2, default=str))
    else:
        print(f"Kasus {report.number}, versi proses {report.version}:")
        for step in result.steps:
            what = step.element or step.type
            print(f"  Langkah {step.n} dari {result.total_steps}: {what} oleh {step.actor}, {_when(ctx, step.at)}")
    if result.divergence is not None:
        raise MediasiError(f"Pemutaran ulang kasus {report.number} BERBEDA pada {result.divergence}")
    if not args.json:
        checked = "keadaan akhir sama dengan yang tersimpan" if result.final_checked else "sampai langkah ini"
        print(f"Cocok: {len(result.steps)} langkah diputar ulang, {checked}.")


def migrate_cases(ctx: EngineContext, args: argparse.Namespace) -> None:
    versions = {"key": args.key, "from_version": args.from_version, "to_version": args.to_version}
    if args.dry_run:
        plans = migration_service.plan_migration(ctx, actor=operator(), case_refs=args.cases, **versions)
        results = [(p.number, p.can_migrate, p.reason) for p in plans]
        done, refused = f"dapat dimigrasikan ke versi {args.to_version}", "TIDAK DAPAT dimigrasikan"
    else:
        moved = migration_service.migrate_cases(ctx, actor=operator(), case_refs=args.cases, **versions)
        results = [(m.number, m.migrated, m.reason) for m in moved]
        done, refused = f"dimigrasikan ke versi {args.to_version}", "DITOLAK, tidak diubah"
    if not results:
        print(f"Tidak ada kasus terbuka pada {args.key} versi {args.from_version}.")
    for number, ok, reason in results:
        print(f"{number}: {done}." if ok else f"{number}: {refused}: {reason}")
    failed = sum(1 for _, ok, _ in results if not ok)
    if failed:
        raise MediasiError(f"{failed} dari {len(results)} kasus tidak dapat dimigrasikan.")


def db(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.persistence.grants import grant_app_role

    if ctx.database.is_sqlite:
        raise UsageError("db grant hanya untuk PostgreSQL (MEDIASI_DATABASE_URL=postgresql://...)")
    try:
        with ctx.database.engine.begin() as connection:
            done = grant_app_role(connection, args.role)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(f"Peran {args.role}: {len(done)} perintah GRANT/REVOKE dijalankan; tabel riwayat hanya SELECT dan INSERT.")
