"""The mediasi command: setup, a case driven from the terminal, and one-line errors."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.context import EngineContext
from engine.persistence.models import ApiToken
from engine.settings import PROJECT_ROOT
from tests.builders import application


def one_line_error(result: tuple[int, str, str], status: int = 1) -> str:
    code, _, err = result
    assert code == status, result
    assert err.count("\n") == 1 and err.startswith("mediasi: ") and "Traceback" not in err, err
    return err


def test_init_is_idempotent_and_creates_demo_users(cli) -> None:  # type: ignore[no-untyped-def]
    status, out, _ = cli("init", "--demo")
    assert status == 0
    assert "Proses mediasi_kekerasan versi 1: diterapkan." in out
    assert "Pengguna demo kepala_dinas (kepala_dinas) dibuat." in out
    status, out, _ = cli("init", "--demo")
    assert status == 0 and "versi 1: tidak berubah" in out and "dibuat" not in out


def test_a_case_from_start_to_withdrawal(cli) -> None:  # type: ignore[no-untyped-def]
    cli("init", "--demo")
    status, out, _ = cli("case", "start", "--user", "pemohon", "--data", json.dumps(application()))
    assert status == 0 and "Kasus MED-" in out and "Periksa kelengkapan berkas" in out
    number = out.split()[1]
    status, out, _ = cli("tasks", "--user", "ketua_lppar")
    task_id = out.split()[0]
    one_line_error(cli("task", "complete", task_id, "--user", "kepala_dinas", "--data", '{"berkas_lengkap": true}'))
    err = one_line_error(cli("task", "complete", task_id, "--user", "ketua_lppar", "--data", '{"berkas_lengkap": 1}'))
    assert "berkas_lengkap: Harus berupa ya/tidak." in err
    status, out, _ = cli("task", "complete", task_id, "--user", "ketua_lppar", "--data", '{"berkas_lengkap": true}')
    assert status == 0 and "Telaah dan skrining permohonan" in out
    status, out, _ = cli("case", "withdraw", number, "--user", "pemohon", "--reason", "Korban mencabut persetujuan")
    assert status == 0 and "Status : completed, hasil withdrawn" in out
    status, out, _ = cli("case", "events", number)
    assert [line.split()[3] for line in out.splitlines()] == [
        "case_started",
        "task_completed",
        "case_withdrawn",
        "case_completed",
    ]


def test_walk_in_applicant_from_the_front_desk(cli) -> None:  # type: ignore[no-untyped-def]
    cli("init", "--demo")
    applicant = json.dumps({"nama": "Ibu Warsini", "telepon": "081234567890"})
    status, out, _ = cli(
        "case", "start", "--user", "fulltimer", "--data", json.dumps(application()), "--applicant", applicant
    )
    assert status == 0 and "Pemohon: Ibu Warsini (datang langsung)" in out


def test_token_create_prints_the_token_alone_on_the_last_line(cli, ctx: EngineContext) -> None:  # type: ignore[no-untyped-def]
    cli("init", "--demo")
    status, out, _ = cli("token", "create", "auditor")
    token = out.splitlines()[-1]
    assert status == 0 and token.startswith("mds_") and " " not in token
    with ctx.unit_of_work(write=False) as uow:
        hashes = set(uow.session.scalars(select(ApiToken.token_hash)))
    assert hashlib.sha256(token.encode()).hexdigest() in hashes and token not in str(hashes)


def test_user_add_with_password_on_stdin(cli) -> None:  # type: ignore[no-untyped-def]
    cli("init")
    status, out, _ = cli(
        "user",
        "add",
        "wati",
        "--role",
        "tim_teknis",
        "--role",
        "sekretaris",
        "--name",
        "Wati",
        "--password-stdin",
        stdin="kata-sandi-panjang\n",
    )
    assert status == 0 and "sekretaris, tim_teknis" in out and "Kata sandi awal" not in out
    err = one_line_error(cli("user", "add", "wati", "--role", "tim_teknis"))
    assert "sudah dipakai" in err
    err = one_line_error(cli("user", "add", "x", "--role", "tim_teknis", "--password-stdin", stdin="pendek\n"))
    assert "Nama pengguna" in err


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("case", "show", "MED-2026-0404"), 1, "Kasus MED-2026-0404 tidak ditemukan."),
        (
            ("task", "complete", "00000000-0000-0000-0000-000000000000", "--user", "ketua_lppar", "--data", "{"),
            2,
            "--data bukan JSON yang sah",
        ),
        (
            ("task", "complete", "00000000-0000-0000-0000-000000000000", "--user", "nobody", "--data", "{}"),
            1,
            "Pengguna 'nobody' tidak ditemukan.",
        ),
        (("case", "withdraw", "MED-2026-0001", "--user", "pemohon"), 2, "--reason wajib diisi"),
    ],
)
def test_errors_are_one_line(cli, args: tuple[str, ...], status: int, message: str) -> None:  # type: ignore[no-untyped-def]
    cli("init", "--demo")
    assert message in one_line_error(cli(*args), status)


def test_a_bad_diagram_lists_every_problem_on_one_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("init")
    bad = tmp_path / "rusak.bpmn"
    source = (PROJECT_ROOT / "processes" / "mediasi_kekerasan.bpmn").read_text()
    bad.write_text(
        source.replace("berkas_lengkap == True", "${berkas_lengkap}").replace(
            "pengecualian_disetujui == True", "import os"
        )
    )
    err = one_line_error(cli("deploy", str(bad)))
    assert f"{bad}:" in err and "JUEL" in err and "kondisi: sintaks Python tidak valid" in err


def test_bad_configuration_is_one_line(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MEDIASI_TIMEZONE", "Mars/Olympus")
    assert "MEDIASI_TIMEZONE" in one_line_error(cli("cases"))
    monkeypatch.delenv("MEDIASI_TIMEZONE")
    monkeypatch.setenv("MEDIASI_DATABASE_URL", "nonsense://")
    assert "konfigurasi" in one_line_error(cli("cases"))


def test_the_console_script_is_installed() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mediasi"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and "task" in result.stdout


def test_serve_answers_on_its_port(database_url: str, tmp_path: Path) -> None:
    import os
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "MEDIASI_DATABASE_URL": database_url, "MEDIASI_SECRET_KEY": "uji"}
    mediasi = str(Path(sys.executable).parent / "mediasi")
    server = subprocess.Popen(
        [mediasi, "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as response:
                    body = json.loads(response.read())
                    break
            except OSError:
                time.sleep(0.1)
        assert body == {"status": "ok"}
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_deploy_takes_a_zip_package(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.engine.test_packages import package, shipped

    assert cli("init")[0] == 0
    files = shipped()
    files["forms/periksa_kelengkapan.json"] = files["forms/periksa_kelengkapan.json"].replace(
        b"{", b'{"$comment": "2",', 1
    )
    path = tmp_path / "paket.zip"
    path.write_bytes(package(files))
    status, out, _ = cli("deploy", str(path))
    assert status == 0 and "versi 2 diterapkan" in out
    path.write_bytes(b"bukan zip")
    assert "bukan berkas ZIP" in one_line_error(cli("deploy", str(path)))


def test_a_version_that_mediates_sexual_violence_is_refused_on_one_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("init")
    permissive = tmp_path / "mediasi_kekerasan.bpmn"
    source = (PROJECT_ROOT / "processes" / "mediasi_kekerasan.bpmn").read_text()
    permissive.write_text(source.replace('"seksual" not in jenis_kekerasan and ', "", 1))
    (tmp_path / "mediasi_kekerasan.lanes.json").write_text(
        (PROJECT_ROOT / "processes" / "mediasi_kekerasan.lanes.json").read_text()
    )
    err = one_line_error(cli("deploy", str(permissive)))
    assert f"{permissive}:" in err and "Kekerasan seksual" in err and "dapat mencapai mediasi" in err


def test_deploy_submits_and_another_owner_approves_under_the_two_person_rule(  # type: ignore[no-untyped-def]
    cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.engine.test_packages import package, shipped

    monkeypatch.setenv("MEDIASI_DEPLOY_APPROVAL", "1")
    status, out, _ = cli("init")
    assert status == 0 and "Proses mediasi_kekerasan versi 1: diterapkan." in out  # the one exception: no version yet
    for name in ("olga", "pia"):
        assert (
            cli("user", "add", name, "--role", "process_owner", "--password-stdin", stdin=f"sandi-{name}-123\n")[0] == 0
        )
    changed = _diagram_copy(tmp_path / "baru", 'name="Dirujuk ke APH"')
    assert "--user NAMA wajib diisi" in one_line_error(cli("deploy", str(changed)), status=2)
    # a name alone is not a person: without the password (stdin is no terminal here) nothing is submitted
    err = one_line_error(cli("deploy", str(changed), "--user", "olga", stdin=""), status=2)
    assert "kata sandi --user diperlukan" in err
    olga = ("--user", "olga", "--password-stdin")
    assert "kata sandi salah" in one_line_error(cli("deploy", str(changed), *olga, stdin="tebakan\n"))
    status, out, _ = cli("deploy", str(changed), *olga, stdin="sandi-olga-123\n")
    assert status == 0 and "proses mediasi_kekerasan diajukan, menunggu persetujuan" in out
    submission = out.split("pengajuan ")[1].split()[0]
    assert "bukan pengajunya" in one_line_error(cli("approve", submission, *olga, stdin="sandi-olga-123\n"))
    pia = ("--user", "pia", "--password-stdin")
    err = one_line_error(cli("approve", submission, *pia, stdin="sandi-olga-123\n"))  # olga cannot be pia
    assert "kata sandi salah" in err
    status, out, _ = cli("approve", submission, *pia, stdin="sandi-pia-123\n")
    assert status == 0 and f"Pengajuan {submission} disetujui: proses mediasi_kekerasan versi 2 diterapkan." in out
    assert "tidak sedang menunggu" in one_line_error(cli("approve", submission, *pia, stdin="sandi-pia-123\n"))

    path = tmp_path / "paket.zip"
    path.write_bytes(package(shipped()))
    status, out, _ = cli("deploy", str(path), *pia, stdin="sandi-pia-123\n")
    assert status == 0 and "diajukan" in out  # the shipped content differs from version 2
    # init with a changed shipped diagram makes nothing live, and says how to submit it
    monkeypatch.setenv("MEDIASI_PROCESSES_DIR", str(_diagram_copy(tmp_path / "kiriman", 'name="Dirujuk lagi"').parent))
    status, out, _ = cli("init")
    assert status == 0 and "versi baru perlu persetujuan; ajukan: mediasi deploy" in out
    assert "versi 2" in cli("deploy", str(changed), *olga, stdin="sandi-olga-123\n")[1]  # still the latest: unchanged


def _diagram_copy(folder: Path, name: str) -> Path:
    """The shipped diagram with "Dirujuk" renamed, and its lane map beside it, in `folder`."""
    folder.mkdir()
    source = PROJECT_ROOT / "processes"
    path = folder / "mediasi_kekerasan.bpmn"
    path.write_bytes((source / "mediasi_kekerasan.bpmn").read_bytes().replace(b'name="Dirujuk"', name.encode()))
    (folder / "mediasi_kekerasan.lanes.json").write_bytes((source / "mediasi_kekerasan.lanes.json").read_bytes())
    return path
