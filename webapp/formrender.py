"""Server-side HTML for a task's JSON Schema form, and the JSON data a submitted HTML form means.

Rendering never validates: the engine checks the parsed data (engine.forms.validate_form) and its
{field_path: message} errors come back here to be shown next to their fields. Field names use the
engine's paths ("korban.0.nama"); element ids use dashes ("f-korban-0-nama").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from werkzeug.datastructures import FileStorage, MultiDict

ADD = "_add"
REMOVE = "_remove"
EXISTING = "__existing"
ROOT_FIELD = "_form"  # the engine's key for an error of the whole form (engine.forms.ROOT_FIELD)
LONG_TEXT = 200
MAX_RADIOS = 5
TEXTAREA_ROWS = 5
ITEM_ROWS = 2
CHOOSE = "— pilih —"
UPLOADED = "Berkas sudah diunggah dan tetap terlampir; pilih berkas lain hanya untuk menggantinya."
FILE_ACCEPT = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"  # what uploads take (by content)
MB = 1024 * 1024
NOT_INTEGER = "Harus berupa bilangan bulat."
NOT_NUMBER = "Harus berupa angka."
NOT_BOOLEAN = "Pilih Ya atau Tidak."
YES_NO = {"true": "Ya", "false": "Tidak"}

_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_REMOVE_VALUE = re.compile(r"(.+)\.(0|[1-9][0-9]{0,3})")

AttrValue = str | int | float | bool | None


# ---------------------------------------------------------------- schema helpers


def _kind(schema: Mapping[str, Any]) -> str:
    """Name the widget a property schema needs."""
    kind = schema.get("type")
    if kind == "string":
        return _string_kind(schema)
    if kind == "boolean":
        return "checkbox" if schema.get("const") is True else "yesno"
    if kind == "array":
        items = _items(schema)
        if items.get("type") == "object":
            return "groups"
        return "strings" if items.get("type") == "string" and "enum" not in items else "choices"
    if kind in ("integer", "number", "object"):
        return str(kind)
    return "text"


def _string_kind(schema: Mapping[str, Any]) -> str:
    """Name the widget a string property needs."""
    if schema.get("format") in ("file", "date"):
        return str(schema["format"])
    if "enum" in schema:
        return "radios" if len(schema["enum"]) <= MAX_RADIOS else "select"
    max_length = schema.get("maxLength")
    return "textarea" if isinstance(max_length, int) and max_length > LONG_TEXT else "text"


def _properties(schema: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Yield the (name, schema) of every property of an object schema."""
    for name, sub in (schema.get("properties") or {}).items():
        if isinstance(sub, Mapping):
            yield str(name), sub


def _items(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return an array schema's item schema (empty when missing)."""
    items = schema.get("items")
    return items if isinstance(items, Mapping) else {}


def _options(schema: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return the (value, label) pairs of an enum, labels from x-enumTitles."""
    titles = schema.get("x-enumTitles") or {}
    return [(str(value), str(titles.get(value, value))) for value in schema.get("enum", [])]


def _join(prefix: str, name: str | int) -> str:
    """Return the dotted path of `name` under `prefix`."""
    return f"{prefix}.{name}" if prefix else str(name)


# ---------------------------------------------------------------- HTML helpers


def _attrs(**attrs: AttrValue) -> Markup:
    """Render attributes, escaped; True is a bare attribute, None and False are left out."""
    parts = []
    for key, value in attrs.items():
        name = key.rstrip("_").replace("_", "-")
        if value is True:
            parts.append(Markup(" {}").format(name))
        elif value is not None and value is not False:
            parts.append(Markup(' {}="{}"').format(name, value))
    return Markup("").join(parts)


def _text(value: Any) -> str:
    """Return the form text of a stored value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _lines(parts: list[Markup]) -> Markup:
    """Join HTML fragments, one a line, leaving out empty ones."""
    return Markup("\n").join(part for part in parts if part)


# ---------------------------------------------------------------- rendering


@dataclass(frozen=True)
class _Page:
    """What every field of one rendering shares."""

    errors: Mapping[str, str]
    extra_groups: Mapping[str, int]
    id_prefix: str
    max_file_bytes: int | None = None  # the largest upload taken: a larger file is refused in the browser


@dataclass(frozen=True)
class _Field:
    """One property to render: where it is, what it is and what it holds."""

    page: _Page
    path: str
    name: str
    schema: Mapping[str, Any]
    required: bool
    value: Any

    @property
    def id(self) -> str:
        """The element id of the field's control."""
        return f"{self.page.id_prefix}-{self.path.replace('.', '-')}"

    @property
    def title(self) -> str:
        """The field's label text."""
        return str(self.schema.get("title") or self.name)

    @property
    def error(self) -> str | None:
        """The error message for this field, if any."""
        return self.page.errors.get(self.path)

    def described_by(self, *more: str) -> str | None:
        """The ids of the help text, the error and `more`, for aria-describedby."""
        ids = [f"{self.id}-bantuan"] if self.schema.get("description") else []
        ids += [f"{self.id}-galat"] if self.error else []
        return " ".join([*ids, *more]) or None

    def control(self, *more_described_by: str) -> dict[str, AttrValue]:
        """The id, name and ARIA attributes of a single control."""
        return {
            "id": self.id,
            "name": self.path,
            "aria_required": "true" if self.required else None,
            "aria_invalid": "true" if self.error else None,
            "aria_describedby": self.described_by(*more_described_by),
        }


def render_fields(
    schema: Mapping[str, Any],
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    *,
    extra_groups: Mapping[str, int] | None = None,
    id_prefix: str = "f",
    max_file_bytes: int | None = None,
) -> Markup:
    """The HTML of every field of `schema` (not the <form> element itself, nor buttons)."""
    page = _Page(
        errors=errors or {}, extra_groups=extra_groups or {}, id_prefix=id_prefix, max_file_bytes=max_file_bytes
    )
    return _render_object(page, schema, values or {}, "")


def _render_object(page: _Page, schema: Mapping[str, Any], values: Any, prefix: str) -> Markup:
    """Render every property of an object schema under `prefix`."""
    values = values if isinstance(values, Mapping) else {}
    required = set(schema.get("required") or [])
    fields = [
        _Field(page, _join(prefix, name), name, sub, name in required, values.get(name))
        for name, sub in _properties(schema)
    ]
    return _lines([_render_field(f) for f in fields])


def _render_field(f: _Field) -> Markup:
    """Render one field in its container."""
    renderers: dict[str, Callable[[_Field], Markup]] = {
        "text": _render_input,
        "date": _render_input,
        "integer": _render_input,
        "number": _render_input,
        "textarea": _render_textarea,
        "file": _render_file,
        "select": _render_select,
        "radios": _render_radios,
        "yesno": _render_radios,
        "checkbox": _render_checkbox,
        "choices": _render_choices,
        "strings": _render_strings,
        "groups": _render_groups,
        "object": _render_nested,
    }
    inner = renderers[_kind(f.schema)](f)
    return Markup('<div class="field">\n{}\n</div>').format(inner)


def _mark(f: _Field) -> Markup:
    """The title with the required mark."""
    if not f.required:
        return Markup("{}").format(f.title)
    return Markup('{} <span class="wajib" aria-hidden="true">*</span>').format(f.title)


def _label(f: _Field) -> Markup:
    """The <label> of a single control."""
    return Markup("<label{}>{}</label>").format(_attrs(for_=f.id), _mark(f))


def _legend(f: _Field) -> Markup:
    """The <legend> of a group of controls."""
    return Markup("<legend>{}</legend>").format(_mark(f))


def _notes(f: _Field) -> Markup:
    """The help text and the error message of a field."""
    parts = []
    if f.schema.get("description"):
        parts.append(Markup('<p class="bantuan" id="{}-bantuan">{}</p>').format(f.id, f.schema["description"]))
    if f.error:
        parts.append(Markup('<p class="galat" id="{}-galat">{}</p>').format(f.id, f.error))
    return _lines(parts)


def _render_input(f: _Field) -> Markup:
    """A text, date or number <input>."""
    kind = _kind(f.schema)
    extra: dict[str, AttrValue] = {"maxlength": f.schema.get("maxLength")}
    if kind in ("integer", "number"):
        extra = {
            "min": f.schema.get("minimum"),
            "max": f.schema.get("maximum"),
            "step": "1" if kind == "integer" else "any",
            "inputmode": "numeric" if kind == "integer" else None,
        }
    input_type = {"date": "date", "integer": "number", "number": "number"}.get(kind, "text")
    attrs = _attrs(type=input_type, **f.control(), value=_text(f.value), **extra)
    return _lines([_label(f), _notes(f), Markup("<input{}>").format(attrs)])


def _area_text(value: Any) -> str:
    """The content of a <textarea> holding `value`."""
    text = _text(value)
    lead = "\n" if text.startswith(("\n", "\r")) else ""  # the HTML parser drops one leading newline
    return lead + text


def _render_textarea(f: _Field) -> Markup:
    """A <textarea> for long text."""
    attrs = _attrs(**f.control(), rows=TEXTAREA_ROWS, maxlength=f.schema.get("maxLength"))
    area = Markup("<textarea{}>{}</textarea>").format(attrs, _area_text(f.value))
    return _lines([_label(f), _notes(f), area])


def _render_file(f: _Field) -> Markup:
    """A file <input>, plus the id of a document already uploaded so a re-render keeps it."""
    existing = _text(f.value)
    note_id = f"{f.id}-berkas"
    parts = [_label(f), _notes(f)]
    if existing:
        parts.append(Markup('<p class="berkas" id="{}">{}</p>').format(note_id, UPLOADED))
    control = f.control(note_id) if existing else f.control()
    limit = f.page.max_file_bytes
    too_large = (
        f"Berkas lebih dari {limit // MB} MB tidak dapat diunggah; pilih berkas yang lebih kecil." if limit else None
    )
    attrs = _attrs(type="file", **control, accept=FILE_ACCEPT, data_max_bytes=limit, data_too_large=too_large)
    parts.append(Markup("<input{}>").format(attrs))
    if existing:
        hidden = _attrs(type="hidden", id=f"{f.id}-lama", name=f.path + EXISTING, value=existing)
        parts.append(Markup("<input{}>").format(hidden))
    return _lines(parts)


def _render_select(f: _Field) -> Markup:
    """A <select> for an enum with many options."""
    current = _text(f.value)
    options = [Markup('<option value="">{}</option>').format(CHOOSE)]
    for value, label in _options(f.schema):
        attrs = _attrs(value=value, selected=value == current)
        options.append(Markup("<option{}>{}</option>").format(attrs, label))
    select = Markup("<select{}>\n{}\n</select>").format(_attrs(**f.control()), _lines(options))
    return _lines([_label(f), _notes(f), select])


def _render_radios(f: _Field) -> Markup:
    """Radio buttons in a fieldset, for a short enum or a yes/no boolean."""
    options = list(YES_NO.items()) if _kind(f.schema) == "yesno" else _options(f.schema)
    current = _text(f.value)
    buttons = [
        _option(f, "radio", n, value, label, value == current, False) for n, (value, label) in enumerate(options)
    ]
    control = f.control()
    attrs = _attrs(
        id=f.id,
        role="radiogroup",
        aria_required=control["aria_required"],
        aria_invalid=control["aria_invalid"],
        aria_describedby=control["aria_describedby"],
    )
    return _fieldset(f, attrs, buttons)


def _render_choices(f: _Field) -> Markup:
    """Checkboxes in a fieldset, for an array of enum values."""
    chosen = {_text(v) for v in f.value} if isinstance(f.value, list) else set()
    options = _options(_items(f.schema))
    boxes = [_option(f, "checkbox", n, value, label, value in chosen, True) for n, (value, label) in enumerate(options)]
    return _fieldset(f, _attrs(id=f.id, aria_describedby=f.described_by()), boxes)


def _fieldset(f: _Field, attrs: Markup, options: list[Markup]) -> Markup:
    """A fieldset with the field's legend, notes and options."""
    return Markup("<fieldset{}>\n{}\n</fieldset>").format(attrs, _lines([_legend(f), _notes(f), *options]))


def _option(f: _Field, kind: str, n: int, value: str, label: str, checked: bool, mark_invalid: bool) -> Markup:
    """One radio button or checkbox with its label."""
    option_id = f"{f.id}-{n}"
    invalid = "true" if mark_invalid and f.error else None
    attrs = _attrs(type=kind, id=option_id, name=f.path, value=value, checked=checked, aria_invalid=invalid)
    return Markup('<div class="pilihan"><input{}><label{}>{}</label></div>').format(
        attrs, _attrs(for_=option_id), label
    )


def _render_checkbox(f: _Field) -> Markup:
    """A single checkbox for a boolean that must be true."""
    attrs = _attrs(type="checkbox", **f.control(), value="true", checked=f.value is True)
    return _lines([Markup("<input{}>").format(attrs), _label(f), _notes(f)])


def _render_nested(f: _Field) -> Markup:
    """A fieldset holding the fields of a nested object."""
    inner = _lines([_legend(f), _notes(f), _render_object(f.page, f.schema, f.value, f.path)])
    attrs = _attrs(class_="objek", id=f.id, aria_describedby=f.described_by())
    return Markup("<fieldset{}>\n{}\n</fieldset>").format(attrs, inner)


def _group_count(f: _Field, items: list[Any]) -> int:
    """How many groups to show: the data, at least minItems and one, plus those added."""
    minimum = int(f.schema.get("minItems", 0))
    count = max(len(items), minimum, 1) + max(int(f.page.extra_groups.get(f.path, 0)), 0)
    maximum = f.schema.get("maxItems")
    return max(min(count, maximum), len(items)) if isinstance(maximum, int) else count


def _add_button(f: _Field, count: int) -> Markup:
    """The "Tambah" button of an array, left out once it holds maxItems items."""
    maximum = f.schema.get("maxItems")
    if isinstance(maximum, int) and count >= maximum:
        return Markup("")
    add = Markup('<button type="submit" name="{}" value="{}" formnovalidate>Tambah {}</button>')
    return add.format(ADD, f.path, f.title)


def _render_groups(f: _Field) -> Markup:
    """A fieldset per item of an array of objects, with remove and add buttons."""
    items = list(f.value) if isinstance(f.value, list) else []
    count = _group_count(f, items)
    removable = count > int(f.schema.get("minItems", 0))
    parts = [_legend(f), _notes(f)]
    parts += [_render_group(f, n, items[n] if n < len(items) else {}, removable) for n in range(count)]
    parts.append(_add_button(f, count))
    attrs = _attrs(class_="daftar", id=f.id, aria_describedby=f.described_by())
    return Markup("<fieldset{}>\n{}\n</fieldset>").format(attrs, _lines(parts))


def _render_group(f: _Field, n: int, item: Any, removable: bool) -> Markup:
    """The fieldset of one item of an array of objects."""
    path = _join(f.path, n)
    group = _Field(f.page, path, f.name, {}, False, item)
    parts = [
        Markup("<legend>{} {}</legend>").format(f.title, n + 1),
        _notes(group),
        _render_object(f.page, _items(f.schema), item, path),
    ]
    if removable:
        remove = Markup('<button type="submit" name="{}" value="{}" formnovalidate>Hapus</button>')
        parts.append(remove.format(REMOVE, path))
    attrs = _attrs(class_="group", id=group.id, aria_describedby=group.described_by())
    return Markup("<fieldset{}>\n{}\n</fieldset>").format(attrs, _lines(parts))


def _render_strings(f: _Field) -> Markup:
    """A fieldset with a short textarea per item of an array of strings, with remove and add buttons."""
    items = list(f.value) if isinstance(f.value, list) else []
    count = _group_count(f, items)
    removable = count > int(f.schema.get("minItems", 0))
    parts = [_legend(f), _notes(f)]
    parts += [_render_string_item(f, n, items[n] if n < len(items) else None, removable) for n in range(count)]
    parts.append(_add_button(f, count))
    attrs = _attrs(class_="daftar daftar-butir", id=f.id, aria_describedby=f.described_by())
    return Markup("<fieldset{}>\n{}\n</fieldset>").format(attrs, _lines(parts))


def _render_string_item(f: _Field, n: int, value: Any, removable: bool) -> Markup:
    """The numbered textarea of one item of an array of strings, its error and its remove button.

    The item's own error ("klausul.2") is shown beside it; an error on the whole array ("klausul")
    marks every item invalid and is read with each of them, as the checkboxes of an array of enums are.
    """
    item_schema = _items(f.schema)
    item = _Field(f.page, _join(f.path, n), f.name, item_schema, False, value)
    title = f"{f.title} {n + 1}"
    required = f.required and n < int(f.schema.get("minItems", 0))
    more = [f"{f.id}-galat"] if f.error else []
    attrs = _attrs(
        id=item.id,
        name=item.path,
        aria_required="true" if required else None,
        aria_invalid="true" if item.error or f.error else None,
        aria_describedby=item.described_by(*more),
        rows=ITEM_ROWS,
        maxlength=item_schema.get("maxLength"),
    )
    parts = [
        Markup("<label{}>{}</label>").format(_attrs(for_=item.id), title),
        _notes(item),
        Markup("<textarea{}>{}</textarea>").format(attrs, _area_text(value)),
    ]
    if removable:
        remove = Markup(
            '<button type="submit" name="{}" value="{}" aria-label="Hapus {}" formnovalidate>Hapus</button>'
        )
        parts.append(remove.format(REMOVE, item.path, title))
    return Markup('<div class="butir">\n{}\n</div>').format(_lines(parts))


@dataclass(frozen=True)
class SummaryItem:
    """One error of the summary above a form: the field's title, its message and the id to link to."""

    title: str
    message: str
    target: str | None  # the element id of the field (None: not a field of this form)


def error_summary(schema: Mapping[str, Any], errors: Mapping[str, str], *, id_prefix: str = "f") -> list[SummaryItem]:
    """The field errors in the order the form shows its fields, each linked to its field; the rest last."""
    items: list[tuple[int, SummaryItem]] = []
    order = {path: n for n, path in enumerate(_paths(schema, "", errors))}
    for path, message in errors.items():
        if path == ROOT_FIELD:
            continue
        title = _title_at(schema, path)
        target = f"{id_prefix}-{path.replace('.', '-')}" if title is not None else None
        items.append((order.get(path, len(order)), SummaryItem(title or path, message, target)))
    return [item for _, item in sorted(items, key=lambda pair: pair[0])]


def _paths(schema: Mapping[str, Any], prefix: str, errors: Mapping[str, str]) -> Iterator[str]:
    """Every field path of `schema` in display order, with the error paths inside lists where they fall."""
    for name, sub in _properties(schema):
        path = _join(prefix, name)
        yield path
        if _kind(sub) in ("groups", "strings"):
            indexes = sorted({int(p.split(".")[0]) for p in _below(path, errors) if p.split(".")[0].isdigit()})
            for n in indexes:
                yield _join(path, n)
                yield from _paths(_items(sub), _join(path, n), errors)
        elif _kind(sub) == "object":
            yield from _paths(sub, path, errors)


def _below(path: str, errors: Mapping[str, str]) -> list[str]:
    return [p.removeprefix(path + ".") for p in errors if p.startswith(path + ".")]


def _title_at(schema: Mapping[str, Any], path: str) -> str | None:
    """The title a field path shows under ("Korban 1 › Nama"), or None when the form has no such field."""
    titles: list[str] = []
    current: Mapping[str, Any] = schema
    for part in path.split("."):
        properties = current.get("properties") or {}
        if current.get("type") == "array" and part.isdigit():
            titles[-1] = f"{titles[-1]} {int(part) + 1}"
            current = _items(current)
        elif isinstance(properties.get(part), Mapping):
            current = properties[part]
            titles.append(str(current.get("title") or part))
        else:
            return None
    return " \u203a ".join(titles)


# ---------------------------------------------------------------- parsing


@dataclass
class _Submission:
    """A submitted form, and the conversion errors found while reading it."""

    form: MultiDict[str, str]
    files: MultiDict[str, FileStorage]
    store_file: Callable[[str, FileStorage], str]
    errors: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        """The stripped text submitted under `name`, None when empty or missing."""
        value = self.form.get(name)
        if value is None:
            return None
        return value.replace("\r\n", "\n").replace("\r", "\n").strip() or None


def parse_fields(
    schema: Mapping[str, Any],
    form: MultiDict[str, str],
    files: MultiDict[str, FileStorage],
    store_file: Callable[[str, FileStorage], str],
) -> tuple[dict[str, Any], dict[str, str]]:
    """The JSON data a submitted form means, and the errors of values that cannot even be converted.

    A value that cannot be converted (umur "dua") stays in the data as the submitted text, so a
    re-render shows what was typed; the caller must not submit data while errors are returned.
    """
    submission = _Submission(form, files, store_file)
    return _parse_object(submission, schema, "", ""), submission.errors


def _parse_object(sub: _Submission, schema: Mapping[str, Any], src: str, dst: str) -> dict[str, Any]:
    """Read every property of an object: names under `src`, data and error paths under `dst`."""
    data: dict[str, Any] = {}
    for name, prop in _properties(schema):
        value = _parse_value(sub, prop, _join(src, name), _join(dst, name))
        if value is not None:
            data[name] = value
    return data


def _parse_value(sub: _Submission, schema: Mapping[str, Any], src: str, dst: str) -> Any:
    """Read one property; None means "not given"."""
    kind = _kind(schema)
    if kind == "file":
        return _parse_file(sub, src, dst)
    if kind == "checkbox":
        return sub.form.get(src) == "true"
    if kind == "yesno":
        return _parse_boolean(sub, src, dst)
    if kind == "choices":
        return [v.strip() for v in sub.form.getlist(src) if v.strip()] or None
    if kind == "strings":
        return _parse_strings(sub, src)
    if kind == "groups":
        return _parse_groups(sub, schema, src, dst)
    if kind == "object":
        return _parse_object(sub, schema, src, dst) or None
    if kind in ("integer", "number"):
        return _parse_number(sub, kind, src, dst)
    return sub.text(src)


def _parse_file(sub: _Submission, src: str, dst: str) -> str | None:
    """Store a new upload and return its id, else keep the id already uploaded."""
    upload = sub.files.get(src)
    if upload is not None and upload.filename:
        return sub.store_file(dst, upload)
    return sub.text(src + EXISTING)


def _parse_boolean(sub: _Submission, src: str, dst: str) -> bool | str | None:
    """Read a yes/no radio pair."""
    text = sub.text(src)
    if text in (None, "true", "false"):
        return None if text is None else text == "true"
    sub.errors[dst] = NOT_BOOLEAN
    return text


def _parse_number(sub: _Submission, kind: str, src: str, dst: str) -> int | float | str | None:
    """Read an integer or a number."""
    text = sub.text(src)
    if text is None:
        return None
    try:
        if kind == "integer" and _INTEGER.fullmatch(text):
            return int(text)
        if kind == "number" and _NUMBER.fullmatch(text) and math.isfinite(number := float(text)):
            return number
    except ValueError:  # more digits than int() accepts
        pass
    sub.errors[dst] = NOT_INTEGER if kind == "integer" else NOT_NUMBER
    return text


def _parse_groups(sub: _Submission, schema: Mapping[str, Any], src: str, dst: str) -> list[dict[str, Any]] | None:
    """Read the groups of an array of objects, dropping empty ones and the one being removed."""
    items = _items(schema)
    removed = sub.form.get(REMOVE)
    result: list[dict[str, Any]] = []
    for index, has_input in sorted(_submitted_groups(sub, items, src).items()):
        if has_input and _join(src, index) != removed:
            result.append(_parse_object(sub, items, _join(src, index), _join(dst, len(result))))
    return result or None


def _parse_strings(sub: _Submission, src: str) -> list[str] | None:
    """Read the items of an array of strings in index order, dropping blank ones and the one being removed.

    The list is compacted, so the indexes of the engine's errors ("klausul.2") are positions in the
    returned list; re-rendering that list puts each error beside the item it is about.
    """
    removed = (sub.form.get(REMOVE) or "").strip()
    pattern = re.compile(re.escape(src) + r"\.(0|[1-9][0-9]{0,3})")
    indexes = sorted({int(match[1]) for key in sub.form if (match := pattern.fullmatch(key))})
    result: list[str] = []
    for index in indexes:
        name = _join(src, index)
        text = sub.text(name)
        if text is not None and name != removed:
            result.append(text)
    return result or None


def _submitted_groups(sub: _Submission, items: Mapping[str, Any], src: str) -> dict[int, bool]:
    """Map each group index found in the submitted names to whether it holds any input."""
    names = {name for name, _ in _properties(items)}
    pattern = re.compile(re.escape(src) + r"\.(0|[1-9][0-9]{0,3})\.([^.]+)")
    entries = [(key, value.strip()) for key, value in sub.form.items(multi=True)]
    entries += [(key, upload.filename or "") for key, upload in sub.files.items(multi=True)]
    found: dict[int, bool] = {}
    for key, value in entries:
        match = pattern.match(key)
        if match and match[2].removesuffix(EXISTING) in names:
            index = int(match[1])
            found[index] = found.get(index, False) or bool(value)
    return found


def group_action(form: MultiDict[str, str]) -> tuple[str, str, int | None] | None:
    """Which repeatable-group button was pressed: ("add", field, None) or ("remove", field, index), else None."""
    added = (form.get(ADD) or "").strip()
    if added:
        return "add", added, None
    match = _REMOVE_VALUE.fullmatch((form.get(REMOVE) or "").strip())
    if match:
        return "remove", match[1], int(match[2])
    return None
