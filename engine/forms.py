"""JSON Schema forms: checked at deploy, applied to every submission, errors in Indonesian."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Mapping
from datetime import time
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable

from engine.errors import FormInvalid, ProcessFailed

FORM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}\.json$")
FILE_FORMAT = "file"
TIME_FORMAT = "jam"  # a time of day, stored "HH:MM"; typed "15.00", "15:00", "9.30" or "09:30 WIB"
# How forms marked a time of day before TIME_FORMAT; the versions deployed then still run cases.
TIME_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9]$"
TIME_MESSAGE = "Tulis jam seperti 15.00 atau 15:00 (24 jam, pukul 00.00 sampai dengan 23.59)."
ROOT_FIELD = "_form"
MAX_KEYS = 200  # top-level fields of one submission; refused before validating anything
MAX_ERRORS = 50  # field errors reported; the rest are counted in one more entry
REF_KEYWORDS = ("$ref", "$dynamicRef")

_TYPE_NAMES = {
    "string": "teks",
    "integer": "bilangan bulat",
    "number": "angka",
    "boolean": "ya/tidak",
    "array": "daftar",
    "object": "objek",
    "null": "kosong",
}
_FORMAT_MESSAGES = {
    "date": "Tanggal tidak valid (format TTTT-BB-HH).",
    "email": "Alamat surel tidak valid.",
    FILE_FORMAT: "Berkas tidak valid; unggah berkas PDF, JPEG atau PNG.",
    TIME_FORMAT: TIME_MESSAGE,
}


class FormSchemaError(ValueError):
    """A form file is not a usable JSON Schema."""


_format_checker = FormatChecker()
_TYPED_TIME = re.compile(r"([01]?[0-9]|2[0-3])[.:]([0-5][0-9])(?:\s*WIB)?", re.IGNORECASE)


@_format_checker.checks(FILE_FORMAT, raises=ValueError)
def _is_document_id(value: object) -> bool:
    if not isinstance(value, str):
        return True  # the type keyword reports non-strings
    uuid.UUID(value)
    return True


@_format_checker.checks(TIME_FORMAT, raises=ValueError)
def _is_stored_time(value: object) -> bool:
    return not isinstance(value, str) or re.fullmatch(TIME_PATTERN, value) is not None


def parse_clock(value: object) -> time | None:
    """A time of day as people type it ("15.00", "15:00", "9.30", "09:30 WIB"), or None."""
    if not isinstance(value, str):
        return None
    match = _TYPED_TIME.fullmatch(value.strip())
    return time(int(match[1]), int(match[2])) if match else None


def is_time_field(schema: Mapping[str, Any]) -> bool:
    """Whether a field schema holds a time of day (TIME_FORMAT, or the older HH:MM pattern)."""
    return schema.get("type") == "string" and (
        schema.get("format") == TIME_FORMAT or schema.get("pattern") == TIME_PATTERN
    )


def normalize_times(schema: Mapping[str, Any], data: Any) -> Any:
    """`data` with every time-of-day field typed in a form people use stored as "HH:MM"; the rest as given.

    A value that is no time stays as typed, for validation to refuse beside its field.
    """
    if is_time_field(schema):
        at = parse_clock(data)
        return f"{at:%H:%M}" if at is not None else data
    properties = schema.get("properties")
    if isinstance(data, dict) and isinstance(properties, Mapping):
        return {
            k: normalize_times(properties[k], v) if isinstance(properties.get(k), Mapping) else v
            for k, v in data.items()
        }
    items = schema.get("items")
    if isinstance(data, list) and isinstance(items, Mapping):
        return [normalize_times(items, v) for v in data]
    return data


def check_form_name(name: str) -> str:
    """Return `name` if it is a plain file name in forms/, else raise ValueError."""
    if not FORM_NAME.match(name) or ".." in name:
        raise ValueError("hanya nama berkas .json tanpa folder")
    return name


def check_form_schema(raw: bytes) -> dict[str, Any]:
    """Parse a form file and check it is a strict JSON Schema object form (a fresh dict each call).

    The check against the JSON Schema meta-schema costs about 10 ms a form and every deploy reads
    every form, so a form's bytes are checked once per process.
    """
    return json.loads(_checked(raw))


@lru_cache(maxsize=512)
def _checked(raw: bytes) -> str:
    """The checked form as JSON text (raises FormSchemaError, which is not cached)."""
    try:
        schema = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormSchemaError(f"JSON tidak valid: {exc}") from None
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise FormSchemaError('skema formulir harus berupa objek dengan "type": "object"')
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise FormSchemaError(f"JSON Schema tidak valid: {exc.message}") from None
    for ref in _remote_refs(schema):
        raise FormSchemaError(f"$ref {ref!r} tidak diizinkan: hanya rujukan lokal (#/...)")
    for path in _open_objects(schema, "#"):
        raise FormSchemaError(f'objek {path} harus menetapkan "additionalProperties": false')
    return json.dumps(schema)


def _remote_refs(schema: Any) -> Iterator[str]:
    """Yield every `$ref` (or `$dynamicRef`) anywhere in `schema` that points outside the form itself."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key in REF_KEYWORDS and isinstance(value, str) and not _is_local(value):
                yield value
            yield from _remote_refs(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _remote_refs(item)


def _is_local(ref: str) -> bool:
    return ref == "#" or ref.startswith("#/")


def _open_objects(schema: Any, path: str) -> Iterator[str]:
    """Yield the JSON pointer of every object schema that would accept unknown fields."""
    if not isinstance(schema, dict):
        return
    if "properties" in schema and schema.get("additionalProperties") is not False:
        yield path
    for key, sub in schema.get("properties", {}).items():
        yield from _open_objects(sub, f"{path}/properties/{key}")
    if isinstance(schema.get("items"), dict):
        yield from _open_objects(schema["items"], f"{path}/items")


def _refuse_retrieval(uri: str) -> Resource[Any]:
    """A form never fetches a schema: not over the network, not from a file."""
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]  # attrs class mypy cannot see through


_NO_RETRIEVAL: Registry[Any] = Registry(retrieve=_refuse_retrieval)  # type: ignore[call-arg]  # same


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json), format_checker=_format_checker, registry=_NO_RETRIEVAL)


def validate_form(schema: Mapping[str, Any], data: Any) -> None:
    """Check `data` against a form; raise FormInvalid with one message per field (at most MAX_ERRORS + 1).

    :raises FormInvalid: for the data; ProcessFailed when the form itself refers outside itself.
    """
    errors = form_errors(schema, data)
    if errors:
        raise FormInvalid(errors)


def form_errors(schema: Mapping[str, Any], data: Any) -> dict[str, str]:
    """The field errors of `data` against a form, by field path (at most MAX_ERRORS + 1; empty: valid).

    :raises ProcessFailed: when the form itself refers outside itself.
    """
    return capped(all_form_errors(schema, data))


def all_form_errors(schema: Mapping[str, Any], data: Any) -> dict[str, str]:
    """Every field error of `data` against a form, by field path, uncapped: for a caller that adds
    its own checks' errors and caps the whole answer once.

    :raises ProcessFailed: when the form itself refers outside itself.
    """
    if not isinstance(data, dict):
        return {ROOT_FIELD: "Data formulir harus berupa objek JSON."}
    if len(data) > MAX_KEYS:
        return {ROOT_FIELD: f"Data formulir memuat {len(data)} isian; paling banyak {MAX_KEYS}."}
    validator = _validator(json.dumps(schema, sort_keys=True))
    try:
        found = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    except Unresolvable as exc:
        raise ProcessFailed(
            f"Formulir memuat rujukan yang tidak dapat dipakai ({exc}); hubungi pemilik proses."
        ) from None
    errors: dict[str, str] = {}
    for error in found:
        for field, message in _describe(error):
            errors.setdefault(field, message)
    return errors


def valid_part(data: Mapping[str, Any], errors: Mapping[str, str]) -> dict[str, Any]:
    """The top-level fields of `data` that no error names (in themselves or anywhere inside them)."""
    bad = {path.split(".")[0] for path in errors}
    return {key: value for key, value in data.items() if key not in bad}


def capped(errors: dict[str, str]) -> dict[str, str]:
    """The first MAX_ERRORS errors, then one entry (the whole form's) counting the rest."""
    if len(errors) <= MAX_ERRORS:
        return errors
    root = errors.pop(ROOT_FIELD, None)
    kept = dict(list(errors.items())[:MAX_ERRORS])
    more = f"dan {len(errors) - MAX_ERRORS} galat lainnya"
    kept[ROOT_FIELD] = f"{root} ({more})" if root else more
    return kept


def file_ids(schema: Mapping[str, Any], data: Any) -> list[str]:
    """Return the document ids held by the form's file fields in `data`."""
    return list(file_fields(schema, data).values())


def file_fields(schema: Mapping[str, Any], data: Any) -> dict[str, str]:
    """The form's file fields in `data`: field path -> the document id it holds."""
    found: dict[str, str] = {}
    _collect_files(schema, data, found, ())
    return found


def _collect_files(schema: Mapping[str, Any], value: Any, found: dict[str, str], path: tuple[str | int, ...]) -> None:
    if schema.get("format") == FILE_FORMAT and isinstance(value, str):
        found[_field(path)] = value
    elif isinstance(value, dict):
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                _collect_files(sub, value[key], found, (*path, key))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for n, item in enumerate(value):
            _collect_files(schema["items"], item, found, (*path, n))


def _field(path: Any, *extra: str | int) -> str:
    parts = [str(p) for p in (*path, *extra)]
    return ".".join(parts) if parts else ROOT_FIELD


def _describe(error: ValidationError) -> Iterator[tuple[str, str]]:
    path = list(error.absolute_path)
    kind, arg = error.validator, error.validator_value
    if kind == "required":
        missing = set(arg) - set(error.instance) if isinstance(error.instance, dict) else set()
        for name in sorted(missing):
            yield _field(path, name), "Wajib diisi."
    elif kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        for name in sorted(set(error.instance) - allowed):
            yield _field(path, name), "Isian tidak dikenal."
    elif kind in ("pattern", "format") and is_time_field(error.schema):
        yield _field(path), TIME_MESSAGE
    elif kind == "pattern":
        yield _field(path), _pattern_message(error.schema)
    else:
        yield _field(path), _message(str(kind), arg)


def _pattern_message(schema: Mapping[str, Any]) -> str:
    """What a patterned field expects: like its first example, when the form gives one."""
    examples = schema.get("examples")
    if isinstance(examples, list) and examples and isinstance(examples[0], str):
        return f"Tulis seperti contoh ini: {examples[0]}."
    return "Bentuk isian tidak sesuai dengan yang diminta; lihat petunjuk pada isian ini."


def _message(kind: str, arg: Any) -> str:
    if kind == "type":
        wanted = arg if isinstance(arg, list) else [arg]
        return "Harus berupa " + " atau ".join(_TYPE_NAMES.get(str(t), str(t)) for t in wanted) + "."
    if kind == "enum":
        return "Pilih salah satu: " + ", ".join(str(v) for v in arg) + "."
    if kind == "const":
        return "Harus dicentang (ya)." if arg is True else f"Harus bernilai {json.dumps(arg, ensure_ascii=False)}."
    if kind == "format":
        return _FORMAT_MESSAGES.get(arg, "Format tidak valid.")
    simple = {
        "minLength": "Wajib diisi." if arg == 1 else f"Minimal {arg} karakter.",
        "maxLength": f"Maksimal {arg} karakter.",
        "minimum": f"Minimal {arg}.",
        "maximum": f"Maksimal {arg}.",
        "exclusiveMinimum": f"Harus lebih dari {arg}.",
        "exclusiveMaximum": f"Harus kurang dari {arg}.",
        "minItems": f"Isi minimal {arg} butir.",
        "maxItems": f"Maksimal {arg} butir.",
        "uniqueItems": "Tidak boleh ada butir yang sama.",
    }
    return simple.get(kind, "Isian tidak valid.")
