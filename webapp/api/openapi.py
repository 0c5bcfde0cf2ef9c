"""The OpenAPI 3.1 description of /api/v1, precise enough for a generic client to drive it."""

from __future__ import annotations

from typing import Any

from engine.services import case_notes, inbox, reassignment, suspension
from engine.services.queries import COUNT_LIMIT
from engine.status import CaseStatus, TaskStatus
from webapp.limits import MAX_JSON_BYTES, MAX_JSON_DEPTH, MAX_JSON_ITEMS, MAX_QUERY_TEXT

OBJ = "object"
UUID = {"type": "string", "format": "uuid"}
WHEN = {"type": "string", "format": "date-time"}
MAYBE_WHEN = {"type": ["string", "null"], "format": "date-time"}
MAYBE = {"type": ["string", "null"]}
_REASON = {"reason": {"type": "string", "minLength": 1, "maxLength": 2000}}
# Where a due moment stands: on time, due within one working day, overdue; null without one.
SLA_STATE = {"enum": [None, "tepat_waktu", "segera", "terlambat"]}
SEARCH_TEXT = {"type": "string", "maxLength": MAX_QUERY_TEXT}
LIMITS = (
    f"Batas permintaan: badan JSON paling besar {MAX_JSON_BYTES // 1024 // 1024} MB, paling dalam {MAX_JSON_DEPTH} "
    f"tingkat dan paling banyak {MAX_JSON_ITEMS} kunci dan unsur (di atasnya 413 atau 400); teks pencarian "
    f"(q, actor, task) paling panjang {MAX_QUERY_TEXT} karakter (400); karakter NUL di alamat ditolak (400)."
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Any], required: list[str] | None = None, extra: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": OBJ, "properties": properties, "required": required or list(properties)}
    if not extra:
        schema["additionalProperties"] = False
    return schema


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    texts = {
        400: "Permintaan tidak sah",
        401: "Token tidak ada atau tidak sah",
        403: "Tidak diizinkan",
        404: "Tidak ditemukan",
        409: "Bentrok dengan keadaan kasus",
        413: "Berkas atau badan JSON terlalu besar",
        422: "Data tidak valid",
    }
    return {str(code): _json(_ref("Error"), texts[code]) for code in codes}


def _page(item: str) -> dict[str, Any]:
    return _obj(
        {
            "items": {"type": "array", "items": _ref(item)},
            "total": {
                "type": "integer",
                "minimum": 0,
                "description": "Banyaknya butir; bila total_exact false, batas bawah (penghitungan berhenti di situ).",
            },
            "total_exact": {
                "type": "boolean",
                "description": "false: ada lebih dari total butir (selalu ada halaman berikutnya).",
            },
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
        }
    )


def _page_params(per_page: int = 20, max_per_page: int = 100) -> list[dict[str, Any]]:
    return [
        {
            "name": "page",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1},
        },
        {
            "name": "per_page",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": max_per_page, "default": per_page},
        },
    ]


PAGE_PARAMS = _page_params()


def _id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": UUID}


def _op(
    summary: str, responses: dict[str, Any], *, params: list[Any] | None = None, body: Any = None, auth: bool = True
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": responses}
    if params:
        operation["parameters"] = params
    if body is not None:
        operation["requestBody"] = body
    if not auth:
        operation["security"] = []
    return operation


def _plain_schema(form: dict[str, Any]) -> dict[str, Any]:
    """A form's JSON Schema without the keywords that belong to the form renderer."""
    if isinstance(form, dict):
        return {k: _plain_schema(v) for k, v in form.items() if not k.startswith("x-") and k != "$schema"}
    if isinstance(form, list):
        return [_plain_schema(v) for v in form]  # type: ignore[return-value]
    return form


def _schemas() -> dict[str, Any]:
    task_ref = _obj(
        {
            "id": UUID,
            "name": {"type": "string"},
            "title": {"type": "string"},
            "lane": {"type": "string"},
            "state": {"enum": list(TaskStatus.ALL)},
        }
    )
    task = _obj(
        {
            "id": UUID,
            "case_id": UUID,
            "case_number": {"type": "string"},
            "name": {"type": "string"},
            "title": {"type": "string"},
            "lane": {"type": "string"},
            "state": {"enum": list(TaskStatus.ALL)},
            "created_at": WHEN,
            "due_at": MAYBE_WHEN,
            "sla_state": SLA_STATE,
            "claimed_by": {"type": ["string", "null"]},
        }
    )
    case_summary = _obj(
        {
            "id": UUID,
            "number": {"type": "string"},
            "status": {"enum": list(CaseStatus.ALL)},
            "outcome": {"type": ["string", "null"]},
            "process": _obj({"key": {"type": "string"}, "version": {"type": "integer"}}),
            "tasks": {"type": "array", "items": _ref("TaskRef")},
            "created_at": WHEN,
            "updated_at": WHEN,
            "due_at": MAYBE_WHEN,
            "sla_state": SLA_STATE,
        }
    )
    return {
        "Error": _obj(
            {
                "error": {"type": "string"},
                "message": {"type": "string"},
                "errors": {
                    "oneOf": [
                        {"type": "object", "additionalProperties": {"type": "string"}},
                        {
                            "type": "array",
                            "items": _obj(
                                {
                                    "line": {"type": ["integer", "null"]},
                                    "element": {"type": ["string", "null"]},
                                    "message": {"type": "string"},
                                }
                            ),
                        },
                    ]
                },
            },
            ["error", "message"],
        ),
        "TaskRef": task_ref,
        "Task": task,
        "InboxTask": _inbox_task(task),
        "TaskDetail": {
            "allOf": [
                task,
                _obj(
                    {
                        "form": {"type": ["object", "null"]},
                        "data": {"type": "object"},
                        "documentation": {"type": "string"},
                        "correction": {
                            "type": "object",
                            "description": "Only on a screening correction's confirmation task: the answers "
                            "before and after, the reason code and text, who asked and the status.",
                        },
                    }
                ),
            ]
        },
        "CaseSummary": case_summary,
        "Clock": _obj(
            {
                "name": {"type": "string"},
                "title": {"type": "string"},
                "days": {"type": "integer", "minimum": 0},
                "started": WHEN,
                "due": WHEN,
                "paused": MAYBE_WHEN,
                "reason": {"type": ["string", "null"]},
                "paused_days": {"type": "integer", "minimum": 0},
                "stopped": MAYBE_WHEN,
                "met": {"type": ["boolean", "null"]},
                "sla_state": SLA_STATE,
            }
        ),
        "Case": {
            "allOf": [
                case_summary,
                _obj(
                    {
                        "sla_clocks": {"type": "array", "items": _ref("Clock")},
                        # GET /cases/{id} only: letters numbered by a step, still being rendered
                        "letters_pending": {"type": "array", "items": _ref("PendingLetter")},
                        # null unless the case waits on a third party: since when and why
                        "suspension": {
                            "oneOf": [{"type": "null"}, _obj({"since": WHEN, "reason": {"type": "string"}})]
                        },
                    },
                    required=["sla_clocks", "suspension"],
                ),
            ]
        },
        "PendingLetter": _obj(
            {
                "kind": {"type": "string"},
                "number": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"},
                "status": {"type": "string", "enum": ["sedang_dibuat"]},
            }
        ),
        "Process": _obj(
            {"key": {"type": "string"}, "version": {"type": "integer"}, "name": {"type": "string"}, "deployed_at": WHEN}
        ),
        "Event": _obj(
            {
                "seq": {"type": "integer"},
                "type": {"type": "string"},
                "task": {"type": ["string", "null"]},
                "actor": {"type": "string"},
                "at": WHEN,
                "data": {},
            }
        ),
        "Document": _obj(
            {
                "id": UUID,
                "kind": {"type": "string"},
                "number": {"type": ["string", "null"]},
                "filename": {"type": "string"},
                "sha256": {"type": "string"},
                "created_at": WHEN,
            }
        ),
        "NewCase": _obj(
            {
                "process": {"type": "string", "minLength": 1, "maxLength": 100},
                "data": {"type": "object"},
                "applicant": _obj(
                    {
                        "nama": {"type": "string", "minLength": 1, "maxLength": 200},
                        "telepon": {"type": "string"},
                        "alamat": {"type": ["string", "null"], "maxLength": 500},
                    },
                    ["nama", "telepon"],
                    extra=False,
                ),
                "confirm_duplicate": {
                    "type": "boolean",
                    "description": "true: ajukan walau ada kasus korban yang sama (nama dan telepon) dalam 30 hari",
                },
            },
            ["data"],
            extra=False,
        ),
        "Duplicate": _obj(
            {"original": {"type": "string", "minLength": 1, "maxLength": 64}, **_REASON},
            extra=False,
        ),
        "Reason": _obj(_REASON, extra=False),
        "SuspensionReason": _obj(
            {"reason": {"type": "string", "minLength": 1, "maxLength": suspension.MAX_REASON}}, extra=False
        ),
        "Note": _obj(
            {
                "seq": {"type": "integer", "minimum": 1},
                "at": WHEN,
                "author": {"type": "string", "description": "nama lengkap penulis"},
                "username": {"type": "string"},
                "text": {"type": "string"},
                "for_applicant": {"type": "boolean", "description": "ditampilkan kepada pemohon"},
            }
        ),
        "NewNote": _obj(
            {
                "text": {"type": "string", "minLength": 1, "maxLength": case_notes.MAX_TEXT},
                "for_applicant": {"type": "boolean", "default": False},
            },
            required=["text"],
            extra=False,
        ),
        "Completion": _obj({"data": {"type": "object"}}, extra=False),
    }


def _paths() -> dict[str, Any]:
    case_id, task_id = _id("case_id"), _id("task_id")
    reason = {"required": True, "content": {"application/json": {"schema": _ref("Reason")}}}
    return {
        "/health": {
            "get": _op("Kesehatan layanan", {"200": _json(_obj({"status": {"const": "ok"}}), "OK")}, auth=False)
        },
        "/openapi.json": {"get": _op("Dokumen OpenAPI ini", {"200": _json({"type": "object"}, "OK")}, auth=False)},
        "/processes": {
            "get": _op(
                "Versi terbaru setiap proses",
                {"200": _json(_page("Process"), "OK"), **_errors(401, 422)},
                params=PAGE_PARAMS,
            ),
            "post": _op(
                "Terapkan diagram BPMN, atau paket ZIP diagram + formulir + peta lajur (pemilik proses); dengan "
                "aturan dua orang (MEDIASI_DEPLOY_APPROVAL=1) diajukan, berlaku setelah disetujui pemilik proses lain",
                {
                    "201": _json(_obj({"key": {"type": "string"}, "version": {"type": "integer"}}), "Versi baru"),
                    "200": _json(_obj({"key": {"type": "string"}, "version": {"type": "integer"}}), "Sama"),
                    "202": _json(
                        _obj(
                            {
                                "status": {"const": "submitted"},
                                "submission": UUID,
                                "key": {"type": "string"},
                                "base_version": {"type": "integer", "minimum": 0},
                                "revision": {"type": "integer", "minimum": 1},
                                "message": {"type": "string"},
                            }
                        ),
                        "Diajukan; menunggu persetujuan pemilik proses lain",
                    ),
                    **_errors(400, 401, 403, 422),
                },
                body={
                    "required": True,
                    "content": {
                        "application/xml": {"schema": {"type": "string"}},
                        "application/zip": {"schema": {"type": "string", "contentMediaType": "application/zip"}},
                    },
                },
            ),
        },
        "/processes/submissions/{submission_id}/approve": {
            "post": _op(
                "Setujui pengajuan versi proses (pemilik proses selain pengajunya): versi itu berlaku, atas nama "
                "pengajunya; `revision` (opsional) menyetujui hanya revisi yang sudah dibaca",
                {
                    "201": _json(_obj({"key": {"type": "string"}, "version": {"type": "integer"}}), "Versi baru"),
                    "200": _json(_obj({"key": {"type": "string"}, "version": {"type": "integer"}}), "Sama"),
                    **_errors(400, 401, 403, 404, 409, 422),
                },
                params=[_id("submission_id")],
                body={
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": OBJ,
                                "properties": {"revision": {"type": "integer", "minimum": 1}},
                                "additionalProperties": False,
                            }
                        }
                    },
                },
            )
        },
        "/processes/{key}": {
            "get": _op(
                "Versi terbaru sebuah proses dengan formulir mulainya",
                {
                    "200": _json(
                        {"allOf": [_ref("Process"), _obj({"start_form": {"type": ["object", "null"]}})]}, "OK"
                    ),
                    **_errors(401, 404),
                },
                params=[{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}],
            )
        },
        "/cases": {
            "get": {
                **_op(
                    "Kasus yang boleh dibaca pemanggil",
                    {"200": _json(_page("CaseSummary"), "OK"), **_errors(400, 401, 422)},
                    params=[
                        *PAGE_PARAMS,
                        {"name": "status", "in": "query", "schema": {"enum": list(CaseStatus.ALL)}},
                        {"name": "q", "in": "query", "schema": SEARCH_TEXT},
                    ],
                ),
                "description": f"Terbaru lebih dahulu. total dihitung sampai {COUNT_LIMIT} butir setelah awal halaman.",
            },
            "post": {
                **_op(
                    "Ajukan permohonan",
                    {
                        "201": _json(_ref("Case"), "Dibuat"),
                        "200": _json(_ref("Case"), "Idempotency-Key ini sudah dipakai: kasus yang dulu dibuat"),
                        **_errors(400, 401, 403, 404, 413, 422),
                        "409": _json(
                            {
                                "allOf": [
                                    _ref("Error"),
                                    _obj(
                                        {"duplicates": {"type": "array", "items": _obj({"id": MAYBE, "number": MAYBE})}}
                                    ),
                                ]
                            },
                            "duplicate_suspected: kasus korban yang sama dalam 30 hari (number null: kasus lain)",
                        ),
                    },
                    params=[
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                        }
                    ],
                    body={"required": True, "content": {"application/json": {"schema": _ref("NewCase")}}},
                ),
                "description": "Idempotency-Key yang sama (per pengguna) tidak membuat kasus kedua.",
            },
        },
        "/cases/{case_id}": {
            "get": _op(
                "Satu kasus",
                {"200": _json(_ref("Case"), "OK"), **_errors(401, 404)},
                params=[case_id],
            )
        },
        "/cases/{case_id}/withdraw": {
            "post": _op(
                "Pencabutan persetujuan korban",
                {"200": _json(_ref("Case"), "OK"), **_errors(400, 401, 403, 404, 409, 413, 422)},
                params=[case_id],
                body=reason,
            )
        },
        "/cases/{case_id}/stop": {
            "post": _op(
                "Penghentian demi keselamatan",
                {"200": _json(_ref("Case"), "OK"), **_errors(400, 401, 403, 404, 409, 413, 422)},
                params=[case_id],
                body=reason,
            )
        },
        "/cases/{case_id}/duplicate": {
            "post": _op(
                "Tutup sebagai duplikat (Ketua LP-PAR): hasil duplikat, tidak dihitung dalam statistik",
                {"200": _json(_ref("Case"), "OK"), **_errors(400, 401, 403, 404, 409, 413, 422)},
                params=[case_id],
                body={"required": True, "content": {"application/json": {"schema": _ref("Duplicate")}}},
            )
        },
        "/cases/{case_id}/suspend": {
            "post": _op(
                "Tangguhkan kasus yang menunggu pihak ketiga (Ketua LP-PAR, admin): tugasnya tidak dapat dikerjakan, "
                "jam layanan dijeda dan pengingat menunggu sampai dilanjutkan",
                {"200": _json(_ref("Case"), "OK"), **_errors(400, 401, 403, 404, 409, 413, 422)},
                params=[case_id],
                body={"required": True, "content": {"application/json": {"schema": _ref("SuspensionReason")}}},
            )
        },
        "/cases/{case_id}/resume": {
            "post": _op(
                "Lanjutkan kasus yang ditangguhkan (Ketua LP-PAR, admin): tenggat, jam layanan dan pengingat "
                "bergeser sebanyak hari kerja selama ditangguhkan",
                {"200": _json(_ref("Case"), "OK"), **_errors(401, 403, 404, 409)},
                params=[case_id],
            )
        },
        "/cases/{case_id}/notes": {
            "get": _op(
                "Catatan kasus: semuanya bagi petugas kasus dan auditor, yang ditandai untuk pemohon bagi pemohon",
                {"200": _json({"type": "array", "items": _ref("Note")}, "OK"), **_errors(401, 404)},
                params=[case_id],
            ),
            "post": _op(
                "Tambah catatan kasus (petugas yang menangani kasus; juga pada kasus yang sudah selesai)",
                {"201": _json(_ref("Note"), "Dibuat"), **_errors(400, 401, 403, 404, 409, 413, 422)},
                params=[case_id],
                body={"required": True, "content": {"application/json": {"schema": _ref("NewNote")}}},
            ),
        },
        "/cases/{case_id}/events": {
            "get": _op(
                "Riwayat kasus",
                {"200": _json({"type": "array", "items": _ref("Event")}, "OK"), **_errors(401, 404)},
                params=[case_id],
            )
        },
        "/cases/{case_id}/documents": {
            "get": _op(
                "Dokumen kasus",
                {"200": _json({"type": "array", "items": _ref("Document")}, "OK"), **_errors(401, 404)},
                params=[case_id],
            )
        },
        "/documents/{document_id}": {
            "get": _op(
                "Isi dokumen",
                {"200": {"description": "Berkas", "content": {"application/octet-stream": {}}}, **_errors(401, 404)},
                params=[_id("document_id")],
            )
        },
        "/tasks": {
            "get": {
                **_op(
                    "Tugas Saya, satu halaman",
                    {"200": _json(_page("InboxTask"), "OK"), **_errors(400, 401, 422)},
                    params=[*_page_params(inbox.PER_PAGE, inbox.MAX_PER_PAGE), *_inbox_filters()],
                ),
                "description": (
                    "Tugas siap yang boleh dikerjakan pemanggil: tenggat terdekat lebih dahulu, tugas tanpa "
                    "tenggat di akhir, lalu yang paling lama menunggu. total dihitung sampai "
                    f"{COUNT_LIMIT} butir setelah awal halaman. Saringan yang tidak dikenal (proses, lajur, "
                    "tenggat, diambil) dijawab 422 dengan errors per parameter."
                ),
            }
        },
        "/tasks/{task_id}": {
            "get": _op(
                "Satu tugas dengan formulirnya",
                {"200": _json(_ref("TaskDetail"), "OK"), **_errors(401, 403, 404)},
                params=[task_id],
            )
        },
        "/tasks/{task_id}/claim": {
            "post": _op(
                "Ambil tugas", {"200": _json(_ref("Task"), "OK"), **_errors(401, 403, 404, 409)}, params=[task_id]
            )
        },
        "/tasks/{task_id}/release": {
            "post": _op(
                "Lepas tugas: yang diambil pemanggil sendiri (tanpa badan), atau, dengan alasan, yang diambil orang "
                "lain oleh Ketua LP-PAR atau admin (dicatat sebagai task_released pada riwayat kasus)",
                {"200": _json(_ref("Task"), "OK"), **_errors(400, 401, 403, 404, 409, 422)},
                params=[task_id],
                body={"required": False, "content": {"application/json": {"schema": _ref("SupervisorRelease")}}},
            )
        },
        "/tasks/{task_id}/reassign": {
            "post": _op(
                "Alihkan tugas yang diambil orang lain kepada pengguna lain di lajurnya (Ketua LP-PAR atau admin); "
                "tugas lalu diambil penerimanya (task_reassigned pada riwayat kasus)",
                {"200": _json(_ref("Task"), "OK"), **_errors(400, 401, 403, 404, 409, 422)},
                params=[task_id],
                body={"required": True, "content": {"application/json": {"schema": _ref("Reassignment")}}},
            )
        },
        "/tasks/{task_id}/files": {
            "post": _op(
                "Unggah satu berkas",
                {"201": _json(_obj({"id": UUID}), "Disimpan"), **_errors(400, 401, 403, 404, 409, 413, 422)},
                params=[task_id],
                body={
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": _obj({"file": {"type": "string", "contentMediaType": "application/octet-stream"}})
                        }
                    },
                },
            )
        },
        "/tasks/{task_id}/complete": {
            "post": _op(
                "Selesaikan tugas",
                {"200": _json(_obj({"case": _ref("Case")}), "OK"), **_errors(400, 401, 403, 404, 409, 413, 422)},
                params=[task_id],
                body={"required": True, "content": {"application/json": {"schema": _ref("Completion")}}},
            )
        },
    }


def document(start_form: dict[str, Any] | None = None) -> dict[str, Any]:
    """The OpenAPI document; `start_form` (the default process's) describes a new case's data."""
    schemas = _schemas()
    if start_form is not None:
        schemas["NewCase"]["properties"]["data"] = _plain_schema(start_form)
    schemas.update(_audit_schemas())
    schemas.update(_migration_schemas())
    from webapp.api import exports, incidents, statistics, substitutes  # described beside their routes
    from webapp.api.notifications import openapi_paths, openapi_schemas

    schemas.update(openapi_schemas())
    schemas.update(statistics.openapi_schemas())
    schemas.update(incidents.openapi_schemas())
    schemas.update(substitutes.openapi_schemas())
    schemas.update(_reassignment_schemas())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Mediasi API",
            "version": "1",
            "description": f"Bantuan Mediasi Kasus Kekerasan, DPMPPA Kota Pekalongan. {LIMITS}",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            **_paths(),
            **_audit_paths(),
            **_migration_paths(),
            **openapi_paths(),
            **exports.openapi_paths(),
            **statistics.openapi_paths(),
            **incidents.openapi_paths(),
            **substitutes.openapi_paths(),
        },
        "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def _inbox_task(task: dict[str, Any]) -> dict[str, Any]:
    """A task as the inbox lists it: what tells its case apart (the applicant only to those who may work it)."""
    nullable = {"type": ["string", "null"]}
    return {
        "allOf": [
            task,
            _obj(
                {
                    "victim_initials": {**nullable, "description": "inisial korban; null bila belum diisi"},
                    "applicant": {**nullable, "description": "nama pemohon (akun) atau pemohon datang langsung"},
                    "claimed_by_name": {**nullable, "description": "nama lengkap yang mengambil tugas"},
                }
            ),
        ]
    }


def _inbox_filters() -> list[dict[str, Any]]:
    text = {"type": "string", "maxLength": MAX_QUERY_TEXT}
    return [
        {"name": "process", "in": "query", "schema": text, "description": "kunci proses, mis. mediasi_kekerasan"},
        {"name": "lane", "in": "query", "schema": text, "description": "nama lajur, mis. Tim Teknis"},
        {"name": "due", "in": "query", "schema": {"enum": list(inbox.DUE_TITLES)}},
        {"name": "claimed", "in": "query", "schema": {"enum": list(inbox.CLAIM_TITLES), "default": inbox.ALL}},
        {"name": "q", "in": "query", "schema": SEARCH_TEXT, "description": "nomor kasus, nama pemohon, inisial korban"},
    ]


def _reassignment_schemas() -> dict[str, Any]:
    reason = {"type": "string", "minLength": 1, "maxLength": reassignment.MAX_REASON}
    return {
        "SupervisorRelease": _obj({"reason": reason}, extra=False),
        "Reassignment": _obj(
            {"to": {"type": "string", "description": "nama pengguna penerima"}, "reason": reason}, extra=False
        ),
    }


def _audit_schemas() -> dict[str, Any]:
    text, integer, moment = {"type": "string"}, {"type": "integer"}, {"type": "string", "format": "date-time"}
    nullable_text = {"type": ["string", "null"]}
    names = {"type": "array", "items": text}
    step = _obj(
        {
            "n": integer,
            "seq": integer,
            "type": text,
            "actor": text,
            "at": moment,
            "element": nullable_text,
            "submitted": {},
            "opened": names,
            "ready": names,
            "completed": names,
            "data": {"type": "object"},
            "changes": {"type": "array", "items": {"type": "object"}},
        }
    )
    return {
        "Access": _obj(
            {
                "seq": integer,
                "type": text,
                "actor": text,
                "at": moment,
                "task_id": {"type": ["string", "null"]},
                "detail": {},
            }
        ),
        "ReplayStep": step,
        "Replay": _obj(
            {
                "case": UUID,
                "number": text,
                "version": integer,
                "ok": {"type": "boolean"},
                "total_steps": integer,
                "final_checked": {"type": "boolean"},
                "steps": {"type": "array", "items": _ref("ReplayStep")},
                "divergence": _obj({"step": integer, "seq": integer, "reason": text}),
            },
            required=["case", "number", "version", "ok", "total_steps", "final_checked", "steps"],
        ),
        "Verification": _obj(
            {
                "ok": {"type": "boolean"},
                "chains": integer,
                "events": integer,
                "summary": text,
                "first_break": {"type": ["object", "null"]},
            }
        ),
        "CaseHit": _obj(
            {
                "case_id": UUID,
                "number": text,
                "status": text,
                "outcome": nullable_text,
                "matches": integer,
                "first_at": moment,
                "last_at": moment,
            }
        ),
        "ChainEntry": _obj(
            {
                "seq": integer,
                "type": text,
                "actor": text,
                "at": moment,
                "subject": nullable_text,
                "data": {},
                "hash": text,
            }
        ),
    }


def _audit_paths() -> dict[str, Any]:
    case_id = _id("case_id")
    day = {"type": "string", "format": "date"}
    return {
        "/cases/{case_id}/access": {
            "get": _op(
                "Log akses kasus: siapa membaca dan kapan (auditor, DPO)",
                {"200": _json(_page("Access"), "OK"), **_errors(401, 403, 404, 422)},
                params=[case_id, *PAGE_PARAMS],
            )
        },
        "/cases/{case_id}/replay": {
            "get": _op(
                "Putar ulang kasus dari peristiwanya (auditor)",
                {"200": _json(_ref("Replay"), "OK"), **_errors(401, 403, 404, 422)},
                params=[case_id, {"name": "to_step", "in": "query", "schema": {"type": "integer", "minimum": 1}}],
            )
        },
        "/cases/{case_id}/chain": {
            "get": _op(
                "Periksa rantai hash kasus",
                {"200": _json(_ref("Verification"), "OK"), **_errors(401, 404)},
                params=[case_id],
            )
        },
        "/cases/{case_id}/evidence": {
            "get": _op(
                "Paket bukti kasus (ZIP) (auditor)",
                {"200": {"description": "ZIP", "content": {"application/zip": {}}}, **_errors(401, 403, 404)},
                params=[case_id],
            )
        },
        "/audit/search": {
            "get": _op(
                "Cari kasus menurut pelaku, tugas dan rentang tanggal (auditor)",
                {"200": _json(_page("CaseHit"), "OK"), **_errors(400, 401, 403, 422)},
                params=[
                    *PAGE_PARAMS,
                    {"name": "actor", "in": "query", "schema": SEARCH_TEXT},
                    {"name": "task", "in": "query", "schema": SEARCH_TEXT},
                    {"name": "since", "in": "query", "schema": day},
                    {"name": "until", "in": "query", "schema": day},
                ],
            )
        },
        "/audit/chains/{chain}": {
            "get": _op(
                "Rantai akses atau sistem (DPO, auditor)",
                {"200": _json(_page("ChainEntry"), "OK"), **_errors(401, 403, 404, 422)},
                params=[
                    {"name": "chain", "in": "path", "required": True, "schema": {"enum": ["access", "system"]}},
                    *PAGE_PARAMS,
                ],
            )
        },
    }


def _migration_schemas() -> dict[str, Any]:
    text, nullable_text, boolean = {"type": "string"}, {"type": ["string", "null"]}, {"type": "boolean"}
    version = {"type": "integer", "minimum": 1, "maximum": 1_000_000}
    element = _obj({"id": text, "type": text, "name": nullable_text, "changes": {"type": "array", "items": text}})
    marks = {"type": "object", "additionalProperties": {"enum": ["added", "removed", "changed", "moved"]}}
    elements = {"type": "array", "items": _ref("DiffElement")}
    return {
        "DiffElement": element,
        "VersionDiff": _obj(
            {
                "key": text,
                "from": version,
                "to": version,
                "added": elements,
                "removed": elements,
                "changed": elements,
                "moved": elements,
                "marks": _obj({"old": marks, "new": marks}),
            }
        ),
        "MigrationRequest": _obj(
            {
                "from": version,
                "to": version,
                "dry_run": boolean,
                "cases": {"type": "array", "maxItems": 1000, "items": {"type": "string", "minLength": 1}},
            },
            ["from", "to", "dry_run"],
            extra=False,
        ),
        "CaseMigration": _obj(
            {
                "case_id": {"type": ["string", "null"], "format": "uuid"},
                "number": text,
                "can_migrate": boolean,
                "migrated": boolean,
                "reason": nullable_text,
            }
        ),
        "Migration": _obj(
            {
                "key": text,
                "from": version,
                "to": version,
                "dry_run": boolean,
                "cases": {"type": "array", "items": _ref("CaseMigration")},
            }
        ),
    }


def _migration_paths() -> dict[str, Any]:
    key = {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}
    version = {"type": "integer", "minimum": 1, "maximum": 1_000_000}
    return {
        "/processes/{key}/diff": {
            "get": _op(
                "Perbedaan dua versi menurut id elemen, dengan tanda warna untuk diagram (pemilik proses)",
                {"200": _json(_ref("VersionDiff"), "OK"), **_errors(401, 403, 404, 422)},
                params=[
                    key,
                    {"name": "from", "in": "query", "required": True, "schema": version},
                    {"name": "to", "in": "query", "required": True, "schema": version},
                ],
            )
        },
        "/processes/{key}/migrations": {
            "post": _op(
                "Uji coba atau migrasi kasus terbuka dari versi `from` ke versi `to` yang lebih baru; "
                "hasil per kasus (pemilik proses). Dalam uji coba `migrated` selalu false.",
                {"200": _json(_ref("Migration"), "OK"), **_errors(400, 401, 403, 404, 413, 422)},
                params=[key],
                body={"required": True, "content": {"application/json": {"schema": _ref("MigrationRequest")}}},
            )
        },
    }
