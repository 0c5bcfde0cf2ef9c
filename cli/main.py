"""The `mediasi` command: set up, serve, and drive cases from a terminal.

Errors are one line on stderr and a non-zero exit; never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from engine.actors import CLI_PREFIX, Actor
from engine.context import EngineContext
from engine.errors import MediasiError
from engine.roles import ROLE_NAMES
from engine.settings import Settings
from engine.status import CaseStatus

EXIT_ERROR, EXIT_USAGE, EXIT_INTERNAL = 1, 2, 70

Handler = Callable[[EngineContext, argparse.Namespace], None]


class UsageError(Exception):
    """Arguments that parse but make no sense."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        ctx = EngineContext.create(Settings.from_environ(os.environ))
    except MediasiError as exc:
        return _fail(exc.message, EXIT_ERROR)
    except Exception as exc:  # noqa: BLE001 - a bad database URL, say; still one line
        return _fail(f"konfigurasi tidak dapat dipakai ({type(exc).__name__}): {exc}", EXIT_ERROR)
    try:
        args.handler(ctx, args)
    except MediasiError as exc:
        return _fail(exc.message, EXIT_ERROR)
    except UsageError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the promise is one line, never a traceback
        return _fail(f"galat internal ({type(exc).__name__}): {exc}", EXIT_INTERNAL)
    finally:
        ctx.close()
    return 0


def _fail(message: str, status: int) -> int:
    print(f"mediasi: {message}", file=sys.stderr)
    return status


def operator() -> Actor:
    """The person at this terminal, as the audit trail names them."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor.operator(f"{CLI_PREFIX}{name}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    from cli import commands

    parser = argparse.ArgumentParser(prog="mediasi", description="Bantuan Mediasi Kasus Kekerasan (BPMN).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="PERINTAH")

    def add(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(handler=handler)
        return p

    p = add("init", commands.init, "terapkan migrasi dan diagram; --demo menambah pengguna demo")
    p.add_argument("--demo", action="store_true")
    p = add("serve", commands.serve, "jalankan server web (gunicorn di Linux; waitress di sistem lain)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--threads", type=_positive, default=8, help="utas per proses pekerja (bawaan 8)")
    p.add_argument(
        "--workers", type=_positive, help="jumlah proses pekerja (bawaan MEDIASI_WORKERS, atau 1); penjadwal tetap satu"
    )
    p.add_argument(
        "--no-scheduler", action="store_true", help="jangan jalankan penjadwal timer (bila ada `mediasi worker`)"
    )
    p = add("worker", commands.worker, "jalankan penjadwal timer dan email sebagai proses tersendiri")
    p.add_argument("--once", action="store_true", help="satu putaran saja, lalu keluar")
    lanes = "peta lajur dari NAMA.lanes.json, versi sebelumnya, atau peta bawaan lajur baku"
    p = add("deploy", commands.deploy, f"terapkan berkas BPMN ({lanes}) atau paket ZIP")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--lanes", type=Path, help="berkas JSON peta lajur-peran untuk semua FILE")
    p.add_argument("--user", help="pemilik proses yang menerapkan; wajib dengan MEDIASI_DEPLOY_APPROVAL=1 (mengajukan)")
    p.add_argument("--password-stdin", action="store_true", help="baca kata sandi --user dari stdin (aturan dua orang)")
    p = add("approve", commands.approve, "setujui pengajuan versi proses (aturan dua orang): approve ID --user NAMA")
    p.add_argument("submission", type=_uuid, metavar="ID", help="id pengajuan yang dicetak `mediasi deploy`")
    p.add_argument("--user", help="pemilik proses yang menyetujui (bukan pengajunya); kata sandinya diminta")
    p.add_argument("--password-stdin", action="store_true", help="baca kata sandi --user dari stdin")

    p = add("user", commands.user, "kelola pengguna: user add NAMA --role PERAN [--email ALAMAT] | user email NAMA")
    p.add_argument("action", choices=["add", "email"])
    p.add_argument("username")
    p.add_argument("--role", action="append", choices=sorted(ROLE_NAMES), dest="roles", help="wajib untuk add")
    p.add_argument("--name", dest="full_name", help="nama lengkap (bawaan: NAMA)")
    p.add_argument("--password-stdin", action="store_true", help="baca kata sandi dari stdin")
    p.add_argument("--email", help="alamat email untuk notifikasi; pada `user email`, kosong menghapusnya")

    p = add("token", commands.token_create, "buat token API: token create NAMA")
    p.add_argument("action", choices=["create"])
    p.add_argument("username")

    p = add("cases", commands.cases, "daftar kasus (100 per halaman)")
    p.add_argument("--status", choices=CaseStatus.ALL)
    p.add_argument("--search", help="cari nomor kasus atau nama pemohon")
    p.add_argument("--page", type=int, default=1)

    p = add("case", commands.case, "case show|start|withdraw|stop|cancel|duplicate|suspend|resume|events ...")
    p.add_argument(
        "action", choices=["show", "start", "withdraw", "stop", "cancel", "duplicate", "suspend", "resume", "events"]
    )
    p.add_argument("case", nargs="?", help="id atau nomor kasus")
    p.add_argument("--user", help="pengguna yang bertindak")
    p.add_argument("--reason", help="alasan (withdraw, stop, cancel, duplicate, suspend)")
    p.add_argument("--original", help="nomor kasus asal untuk duplicate")
    p.add_argument(
        "--confirm-duplicate", action="store_true", help="start: ajukan walau ada kasus korban yang sama dalam 30 hari"
    )
    p.add_argument("--data", help="data formulir permohonan (JSON) untuk start")
    p.add_argument("--process", default="mediasi_kekerasan", help="kunci proses untuk start")
    p.add_argument("--applicant", help='pemohon datang langsung (JSON: {"nama", "telepon", "alamat"?})')

    p = add(
        "audit",
        commands.audit,
        "audit verify [--case ID] [--anchor HASH]: hitung ulang rantai hash; audit anchor: catat jangkar",
    )
    p.add_argument("action", choices=["verify", "anchor"])
    p.add_argument("--case", help="hanya kasus ini (id atau nomor)")
    p.add_argument("--anchor", help="hash jangkar yang disimpan di luar sistem")

    p = add("db", commands.db, "db grant PERAN: beri peran aplikasi PostgreSQL hak minimum (riwayat hanya-tambah)")
    p.add_argument("action", choices=["grant"])
    p.add_argument("role", metavar="PERAN")

    p = add("replay", commands.replay, "replay KASUS [--to-step N] [--json]: putar ulang kasus dari peristiwanya")
    p.add_argument("case", metavar="KASUS", help="id atau nomor kasus")
    p.add_argument("--to-step", type=_positive, metavar="N", help="berhenti setelah langkah N")
    p.add_argument("--json", action="store_true", help="laporan lengkap sebagai JSON")

    p = add(
        "migrate",
        commands.migrate_cases,
        "migrate KUNCI --from N --to M [--dry-run] [--case ID ...]: pindahkan kasus terbuka ke versi lain",
    )
    p.add_argument("key", metavar="KUNCI", help="kunci proses, misalnya mediasi_kekerasan")
    p.add_argument("--from", dest="from_version", type=_positive, required=True, metavar="N", help="versi asal")
    p.add_argument("--to", dest="to_version", type=_positive, required=True, metavar="M", help="versi tujuan")
    p.add_argument("--dry-run", action="store_true", help="hanya periksa; tidak ada yang diubah")
    p.add_argument("--case", action="append", dest="cases", metavar="ID", help="hanya kasus ini (boleh berulang)")

    p = add(
        "calendar",
        commands.calendar,
        "kalender hari kerja: calendar list [--year T] | add TANGGAL --working|--holiday --reference TEKS"
        " | remove TANGGAL",
    )
    p.add_argument("action", choices=["list", "add", "remove"])
    p.add_argument("date", nargs="?", metavar="TANGGAL", help="TTTT-BB-HH (add, remove)")
    p.add_argument("--year", type=int, metavar="T", help="tahun yang didaftar (bawaan: tahun ini)")
    kind = p.add_mutually_exclusive_group()
    kind.add_argument("--working", action="store_true", default=None, help="jadikan tanggal itu hari kerja")
    kind.add_argument("--holiday", action="store_false", dest="working", help="jadikan tanggal itu hari libur")
    p.add_argument("--reference", help="dasar hukum (nomor dan tanggal SKB, Keppres, surat edaran; maks. 500 karakter)")

    p = add(
        "export",
        commands.export,
        "export statistik|simfoni --format csv|xlsx [--dari T] [--sampai T] --out BERKAS: ekspor data statistik"
        " yang dide-identifikasi (dicatat di log akses)",
    )
    p.add_argument("kind", choices=["statistik", "simfoni"], metavar="JENIS", help="statistik atau simfoni")
    p.add_argument("--format", dest="fmt", choices=["csv", "xlsx"], required=True)
    p.add_argument("--dari", default="", metavar="TANGGAL", help="tanggal pengajuan awal TTTT-BB-HH (WIB), termasuk")
    p.add_argument("--sampai", default="", metavar="TANGGAL", help="tanggal pengajuan akhir TTTT-BB-HH, termasuk")
    p.add_argument("--out", type=Path, required=True, metavar="BERKAS", help="berkas yang ditulis")

    p = add("tasks", commands.tasks, "daftar tugas siap (kotak masuk --user)")
    p.add_argument("--user")

    p = add(
        "task",
        commands.task,
        "task show|complete|claim|release|reassign ID --user NAMA"
        " (release --reason, reassign --to NAMA --reason: Ketua LP-PAR atau admin atas tugas yang diambil orang lain)",
    )
    p.add_argument("action", choices=["show", "complete", "claim", "release", "reassign"])
    p.add_argument("task_id", type=_uuid, metavar="ID")
    p.add_argument("--user")
    p.add_argument("--data", help="data formulir (JSON) untuk complete")
    p.add_argument("--to", help="pengguna penerima tugas untuk reassign")
    p.add_argument("--reason", help="alasan melepas atau mengalihkan tugas yang diambil orang lain")
    return parser


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"harus bilangan bulat positif: {value!r}")
    return int(value)


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bukan id yang sah: {value!r}") from None


def parse_json(text: str | None, what: str) -> Any:
    """Parse a JSON argument or say which one is wrong."""
    if text is None:
        raise UsageError(f"{what} wajib diisi")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{what} bukan JSON yang sah: {exc}") from None


if __name__ == "__main__":
    sys.exit(main())
