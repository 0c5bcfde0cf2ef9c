"""Forms rendered as accessible HTML and submitted forms parsed back into JSON, for every form in forms/."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from html.parser import HTMLParser
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from markupsafe import Markup
from werkzeug.datastructures import FileStorage, MultiDict

from engine.forms import validate_form
from engine.settings import PROJECT_ROOT
from webapp.formrender import UPLOADED, group_action, parse_fields, render_fields

FORMS_DIR = PROJECT_ROOT / "forms"
FORM_NAMES = sorted(path.name for path in FORMS_DIR.glob("*.json"))
DOC_ID = "0b6f3f0e-8f7c-4c1e-9d7a-2f1f4f6d1a11"
NEW_DOC_ID = "5d0c1c7e-0a4b-4b8e-9f1e-6a7b8c9d0e1f"
XSS = "<script>alert(1)</script>"


@cache
def _load(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((FORMS_DIR / name).read_text(encoding="utf-8"))
    return schema


def load(name: str) -> dict[str, Any]:
    """A fresh copy of a form schema, safe to modify."""
    copy: dict[str, Any] = json.loads(json.dumps(_load(name)))
    return copy


class Element:
    """One start tag of the rendered HTML, with what follows it up to the next tag."""

    def __init__(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tag = tag
        self.attrs = {key: value or "" for key, value in attrs}  # a bare attribute reads as ""
        self.text = ""

    def get(self, name: str) -> str | None:
        return self.attrs.get(name)


class Page(HTMLParser):
    """The rendered HTML as a flat list of elements, plus the label and legend texts."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.texts: dict[str, str] = {}  # element id or "legend:<n>" -> full text
        self._open: list[tuple[Element, list[str]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, attrs)
        self.elements.append(element)
        if tag in ("label", "legend", "textarea", "option", "p", "button"):
            self._open.append((element, []))

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0].tag == tag:
            element, parts = self._open.pop()
            element.text = "".join(parts)

    def handle_data(self, data: str) -> None:
        for _, parts in self._open:
            parts.append(data)

    def find(self, tag: str, **attrs: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag and all(e.get(k.rstrip("_")) == v for k, v in attrs.items())]

    def one(self, tag: str, **attrs: str) -> Element:
        found = self.find(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]

    def by_id(self, element_id: str) -> Element:
        found = [e for e in self.elements if e.get("id") == element_id]
        assert len(found) == 1, element_id
        return found[0]

    def label_of(self, element_id: str) -> str:
        return " ".join(self.one("label", for_=element_id).text.split())

    def submission(self) -> MultiDict[str, str]:
        """What a browser would send for this form, buttons and file inputs aside."""
        sent: list[tuple[str, str]] = []
        select: Element | None = None
        for e in self.elements:
            name = e.get("name")
            if e.tag == "select":
                select = e
                sent.append((str(name), ""))  # the first option unless one is selected
            elif e.tag == "option" and select is not None and e.get("selected") is not None:
                sent[-1] = (str(select.get("name")), str(e.get("value")))
            elif e.tag == "textarea":
                sent.append((str(name), e.text))
            elif e.tag == "input" and e.get("type") in ("radio", "checkbox"):
                if e.get("checked") is not None:
                    sent.append((str(name), str(e.get("value"))))
            elif e.tag == "input" and e.get("type") != "file":
                sent.append((str(name), e.get("value") or ""))
        return MultiDict(sent)


def render(schema: Mapping[str, Any], *args: Any, **kwargs: Any) -> tuple[Markup, Page]:
    html = render_fields(schema, *args, **kwargs)
    assert isinstance(html, Markup)
    return html, Page(str(html))


def no_files() -> MultiDict[str, FileStorage]:
    return MultiDict()


def refuse_files(path: str, upload: FileStorage) -> str:
    raise AssertionError(f"no upload expected, got {path}")


def upload(name: str = "ktp.pdf", content: bytes = b"%PDF-1.4 ktp") -> FileStorage:
    return FileStorage(io.BytesIO(content), filename=name, content_type="application/pdf")


def parse(schema: Mapping[str, Any], form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    return parse_fields(schema, MultiDict(form), no_files(), refuse_files)


def leaves(schema: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Mapping[str, Any], bool]]:
    """Every field of a schema as (path with group 0, schema, required), groups included."""
    required = set(schema.get("required", []))
    for name, sub in schema["properties"].items():
        path = f"{prefix}{name}"
        yield path, sub, name in required
        if sub.get("type") == "array" and sub["items"].get("type") == "object":
            yield from leaves(sub["items"], f"{path}.0.")


def sample_value(schema: Mapping[str, Any]) -> Any:
    """A valid, fully filled value for one field, as the form would produce it."""
    kind = schema.get("type")
    if kind == "boolean":
        return schema.get("const") is True
    if kind == "integer":
        value = max(7, schema.get("minimum", 7))
        return min(value, schema["maximum"]) if "maximum" in schema else value
    if kind == "number":
        return 2.5
    if kind == "array":
        items = schema["items"]
        if items.get("type") == "object":
            return [sample_object(items), sample_object(items)]
        if "enum" in items:
            return items["enum"][:2]
        return [sample_value(items), "Butir kedua"]  # an array of plain strings
    if "enum" in schema:
        return schema["enum"][-1]
    if schema.get("format") == "file":
        return DOC_ID
    if schema.get("format") == "date":
        return "2026-03-18"
    if "pattern" in schema:
        example = schema.get("examples", ["09:30"])[0]  # a form documents other patterns by an example
        assert re.search(schema["pattern"], example), f"{example!r} does not fit {schema['pattern']!r}"
        return example
    return "Isian \"uji\" <b> & 'kutip'"[: schema.get("maxLength", 200)]


def sample_object(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {name: sample_value(sub) for name, sub in schema["properties"].items()}


def full_permohonan_form() -> list[tuple[str, str]]:
    return [
        ("hubungan_pemohon_dengan_korban", "keluarga"),
        ("korban.0.nama", "  Siti Aminah "),
        ("korban.0.umur", "34"),
        ("korban.0.jenis_kelamin", "perempuan"),
        ("korban.1.nama", "Rina"),
        ("korban.1.umur", "9"),
        ("korban.1.jenis_kelamin", "perempuan"),
        ("terlapor.0.nama", ""),
        ("terlapor.0.umur", "40"),
        ("terlapor.0.jenis_kelamin", "laki_laki"),
        ("hubungan_korban_terlapor", "suami_istri"),
        ("tempat_kejadian", "Kelurahan Podosugih, Pekalongan Barat"),
        ("kronologi", "Baris pertama.\r\nBaris kedua.\r\n"),
        ("permasalahan_yang_dimediasi", "Nafkah anak"),
        ("jenis_kekerasan", "psikis"),
        ("jenis_kekerasan", "ekonomi"),
        ("tingkat_bahaya", "rendah"),
        ("kategori_perkara", "perdata_keluarga"),
        ("persetujuan_korban", "true"),
        ("_submit", "kirim"),
    ]


# ---------------------------------------------------------------- every form


@pytest.mark.parametrize("name", FORM_NAMES)
def test_every_field_of_every_form_has_a_labelled_control(name: str) -> None:
    schema = load(name)
    _, page = render(schema)
    ids = [e.get("id") for e in page.elements if e.get("id")]
    assert len(ids) == len(set(ids)), "ids are unique"
    for path, sub, required in leaves(schema):
        element = page.by_id("f-" + path.replace(".", "-"))
        title = sub.get("title", path.rsplit(".", 1)[-1])
        if element.tag == "fieldset":
            assert title in " ".join(page.elements[page.elements.index(element) + 1].text.split())
        else:
            assert page.label_of(element.get("id") or "").startswith(title)
        if required and sub.get("type") != "array":
            assert element.get("aria-required") == "true", path
        if not required:
            assert element.get("aria-required") is None, path


@pytest.mark.parametrize("name", FORM_NAMES)
def test_every_form_is_safe_and_wired_for_assistive_technology(name: str) -> None:
    html, page = render(load(name), errors={"_form": "Formulir galat"})
    assert "<script" not in html
    assert "Formulir galat" not in html
    assert not re.search(r"\s(on\w+|style)=", html)
    ids = {e.get("id") for e in page.elements}
    for e in page.elements:
        assert e.get("required") is None and e.get("pattern") is None
        if e.tag in ("input", "select", "textarea"):
            assert e.get("id"), e.attrs
        if e.tag in ("input", "select", "textarea") and e.get("type") != "hidden":
            labelled = page.find("label", for_=e.get("id") or "")
            assert labelled or e.get("type") in ("radio", "checkbox"), e.attrs
        for ref in (e.get("aria-describedby") or "").split():
            assert ref in ids, ref
    for label in page.find("label"):
        assert label.get("for") in ids


@pytest.mark.parametrize("name", FORM_NAMES)
def test_every_form_round_trips_filled_data_through_the_browser(name: str) -> None:
    schema = load(name)
    data = sample_object(schema)
    validate_form(schema, data)  # the sample is what the engine accepts
    _, page = render(schema, data)
    parsed, errors = parse_fields(schema, page.submission(), no_files(), refuse_files)
    assert errors == {}
    assert parsed == data


@pytest.mark.parametrize("name", FORM_NAMES)
def test_every_form_submitted_empty_gives_only_what_cannot_be_left_out(name: str) -> None:
    schema = load(name)
    _, page = render(schema)
    parsed, errors = parse_fields(schema, page.submission(), no_files(), refuse_files)
    expected = {key: False for key, sub in schema["properties"].items() if sub.get("const") is True}
    assert (parsed, errors) == (expected, {})


# ---------------------------------------------------------------- rendering permohonan


def test_permohonan_shows_every_property_with_its_title_and_required_marks() -> None:
    schema = load("permohonan_mediasi.json")
    html, page = render(schema)
    for key, sub in schema["properties"].items():
        assert sub["title"] in html
        mark_count = html.count(f'{sub["title"]} <span class="wajib" aria-hidden="true">*</span>')
        assert mark_count >= 1 if key in schema["required"] else mark_count == 0, key
    assert page.label_of("f-tempat_kejadian") == "Tempat kejadian *"
    assert page.label_of("f-terlapor-0-nama") == "Nama terlapor"  # optional inside the group
    assert page.by_id("f-terlapor-0-umur").get("aria-required") == "true"
    assert page.by_id("f-terlapor-0-nama").get("aria-required") is None


def test_permohonan_widgets_follow_the_schema() -> None:
    _, page = render(load("permohonan_mediasi.json"))
    # 5 options: radios with x-enumTitles labels
    radios = page.find("input", type="radio", name="hubungan_pemohon_dengan_korban")
    assert [r.get("value") for r in radios] == ["korban_sendiri", "keluarga", "pendamping", "kelurahan", "lainnya"]
    assert page.label_of("f-hubungan_pemohon_dengan_korban-1") == "Keluarga korban"
    assert page.by_id("f-hubungan_pemohon_dengan_korban").get("role") == "radiogroup"
    # 9 options: a select with an empty first option
    select = page.one("select", name="hubungan_korban_terlapor")
    options = page.elements[page.elements.index(select) + 1 : page.elements.index(select) + 11]
    assert [(o.get("value"), o.text) for o in options[:2]] == [("", "— pilih —"), ("suami_istri", "Suami/istri")]
    assert len(options) == 10 and all(o.tag == "option" for o in options)
    # array of enums: checkboxes named after the field
    boxes = page.find("input", type="checkbox", name="jenis_kekerasan")
    assert len(boxes) == 8
    assert page.label_of(boxes[2].get("id") or "") == "Kekerasan seksual"
    # strings, integers, booleans, files
    tempat = page.by_id("f-tempat_kejadian")
    assert (tempat.tag, tempat.get("type"), tempat.get("maxlength")) == ("input", "text", "200")
    kronologi = page.by_id("f-kronologi")
    assert (kronologi.tag, kronologi.get("rows"), kronologi.get("maxlength")) == ("textarea", "5", "5000")
    umur = page.by_id("f-korban-0-umur")
    assert umur.attrs == {
        "type": "number",
        "id": "f-korban-0-umur",
        "name": "korban.0.umur",
        "aria-required": "true",
        "value": "",
        "min": "0",
        "max": "120",
        "step": "1",
        "inputmode": "numeric",
    }
    yes, no = page.find("input", type="radio", name="persetujuan_korban")
    assert (yes.get("value"), no.get("value")) == ("true", "false")
    assert (page.label_of(yes.get("id") or ""), page.label_of(no.get("id") or "")) == ("Ya", "Tidak")
    legend = page.elements[page.elements.index(page.by_id("f-persetujuan_korban")) + 1]
    assert legend.tag == "legend" and legend.text.split() == ["Korban", "sendiri", "menyetujui", "mediasi", "*"]


def test_description_is_help_text_referenced_by_the_control() -> None:
    _, page = render(load("permohonan_mediasi.json"))
    help_text = page.by_id("f-tempat_kejadian-bantuan")
    assert help_text.tag == "p" and help_text.get("class") == "bantuan"
    assert help_text.text.startswith("Sebutkan lokasi kejadian")
    assert page.by_id("f-tempat_kejadian").get("aria-describedby") == "f-tempat_kejadian-bantuan"
    assert page.by_id("f-korban-0-nama").get("aria-describedby") is None  # no description


def test_korban_renders_one_group_per_item_with_dotted_names() -> None:
    html, page = render(load("permohonan_mediasi.json"))
    groups = page.find("fieldset", class_="group")
    assert [g.get("id") for g in groups] == ["f-korban-0", "f-terlapor-0"]
    assert page.elements[page.elements.index(groups[0]) + 1].text == "Korban 1"
    for sub in ("nama", "umur"):
        assert page.by_id(f"f-korban-0-{sub}").get("name") == f"korban.0.{sub}"
    assert len(page.find("input", type="radio", name="korban.0.jenis_kelamin")) == 2
    assert '<button type="submit" name="_add" value="korban" formnovalidate>Tambah Korban</button>' in html
    assert not page.find("button", name="_remove")  # one group and minItems 1: nothing to remove


def test_groups_follow_values_extra_groups_and_max_items() -> None:
    schema = load("permohonan_mediasi.json")
    korban = [{"nama": "A", "umur": 30, "jenis_kelamin": "perempuan"}, {"nama": "B"}]
    html, page = render(schema, {"korban": korban}, extra_groups={"korban": 1})
    assert [g.get("id") for g in page.find("fieldset", class_="group")][:3] == [f"f-korban-{n}" for n in range(3)]
    assert page.by_id("f-korban-1-nama").get("value") == "B"
    assert page.by_id("f-korban-2-nama").get("value") == ""
    assert page.elements[page.elements.index(page.by_id("f-korban-2")) + 1].text == "Korban 3"
    removes = [b.get("value") for b in page.find("button", name="_remove")]
    assert removes == ["korban.0", "korban.1", "korban.2"]
    assert '<button type="submit" name="_remove" value="korban.1" formnovalidate>Hapus</button>' in html
    _, full = render(schema, {"korban": [{"nama": str(n)} for n in range(10)]}, extra_groups={"korban": 3})
    assert len(full.find("fieldset", class_="group")) == 11  # ten korban (maxItems) and one terlapor
    assert not full.find("button", name="_add", value="korban")
    assert full.find("button", name="_add", value="terlapor")


def test_values_prefill_every_kind_of_control() -> None:
    values = {
        "hubungan_pemohon_dengan_korban": "pendamping",
        "korban": [{"nama": "Siti", "umur": 34, "jenis_kelamin": "laki_laki"}],
        "hubungan_korban_terlapor": "tetangga",
        "tempat_kejadian": "Pasar Banjarsari",
        "kronologi": "Pada hari Senin\nterjadi pertengkaran.",
        "jenis_kekerasan": ["psikis", "ekonomi"],
        "persetujuan_korban": False,
    }
    html, page = render(load("permohonan_mediasi.json"), values)
    assert [r.get("value") for r in page.find("input", type="radio") if r.get("checked") is not None] == [
        "pendamping",
        "laki_laki",
        "false",
    ]
    assert [o.get("value") for o in page.find("option") if o.get("selected") is not None] == ["tetangga"]
    assert page.by_id("f-korban-0-nama").get("value") == "Siti"
    assert page.by_id("f-korban-0-umur").get("value") == "34"
    assert page.by_id("f-tempat_kejadian").get("value") == "Pasar Banjarsari"
    assert ">Pada hari Senin\nterjadi pertengkaran.</textarea>" in html
    checked = [b.get("value") for b in page.find("input", type="checkbox") if b.get("checked") is not None]
    assert checked == ["psikis", "ekonomi"]


def test_file_fields_upload_and_keep_an_uploaded_document() -> None:
    schema = load("lengkapi_berkas.json")
    _, empty = render(schema)
    lampiran = empty.by_id("f-lampiran_tambahan")
    assert (lampiran.get("type"), lampiran.get("name")) == ("file", "lampiran_tambahan")
    assert empty.label_of("f-lampiran_tambahan") == "Lampiran tambahan"
    assert not empty.find("input", type="hidden")
    _, page = render(schema, {"lampiran_tambahan": DOC_ID})
    existing = page.one("input", name="lampiran_tambahan__existing")
    assert (existing.get("type"), existing.get("value")) == ("hidden", DOC_ID)
    assert page.by_id("f-lampiran_tambahan-berkas").text == UPLOADED
    assert page.by_id("f-lampiran_tambahan").get("aria-describedby") == (
        "f-lampiran_tambahan-bantuan f-lampiran_tambahan-berkas"
    )


def test_errors_are_shown_next_to_their_fields() -> None:
    errors = {
        "tempat_kejadian": "Wajib diisi.",
        "korban.0.umur": "Maksimal 120.",
        "jenis_kekerasan": "Isi minimal 1 butir.",
        "tingkat_bahaya": "Wajib diisi.",
        "korban": "Isi minimal 1 butir.",
        "_form": "Ada isian yang belum benar.",
    }
    html, page = render(load("permohonan_mediasi.json"), {"korban": [{"umur": 130}]}, errors)
    tempat = page.by_id("f-tempat_kejadian")
    assert tempat.get("aria-invalid") == "true"
    assert tempat.get("aria-describedby") == "f-tempat_kejadian-bantuan f-tempat_kejadian-galat"
    message = page.by_id("f-tempat_kejadian-galat")
    assert (message.tag, message.get("class"), message.text) == ("p", "galat", "Wajib diisi.")
    umur = page.by_id("f-korban-0-umur")
    assert (umur.get("aria-invalid"), umur.get("aria-describedby"), umur.get("value")) == (
        "true",
        "f-korban-0-umur-galat",
        "130",
    )
    assert page.by_id("f-korban-0-umur-galat").text == "Maksimal 120."
    assert page.by_id("f-tingkat_bahaya").get("aria-invalid") == "true"
    assert all(b.get("aria-invalid") == "true" for b in page.find("input", name="jenis_kekerasan"))
    assert "f-korban-galat" in (page.by_id("f-korban").get("aria-describedby") or "")
    assert "Ada isian yang belum benar." not in html
    assert page.by_id("f-kronologi").get("aria-invalid") is None


def test_user_values_and_schema_texts_are_escaped() -> None:
    schema = load("permohonan_mediasi.json")
    schema["properties"]["tempat_kejadian"]["title"] = 'Tempat <img src=x onerror="alert(1)">'
    schema["properties"]["tingkat_bahaya"]["x-enumTitles"]["rendah"] = "<b>Rendah</b>"
    values = {"tempat_kejadian": '"><script>alert(1)</script>', "kronologi": XSS, "korban": [{"nama": XSS}]}
    html, page = render(schema, values, {"kronologi": XSS})
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert page.by_id("f-tempat_kejadian").get("value") == '"><script>alert(1)</script>'
    assert page.by_id("f-korban-0-nama").get("value") == XSS
    assert page.by_id("f-kronologi-galat").text == XSS


def test_id_prefix_names_every_id() -> None:
    _, page = render(load("lengkapi_berkas.json"), id_prefix="tugas-7")
    assert page.by_id("tugas-7-keterangan_tambahan").get("name") == "keterangan_tambahan"
    assert page.label_of("tugas-7-lampiran_tambahan") == "Lampiran tambahan"
    assert all((e.get("id") or "tugas-7-").startswith("tugas-7-") for e in page.elements)


# ---------------------------------------------------------------- rendering other forms


def test_dates_times_and_the_must_be_true_checkbox() -> None:
    _, page = render(
        load("laksanakan_mediasi.json"), {"skrining_ulang_aman": True, "tanggal_pelaksanaan": "2026-03-18"}
    )
    tanggal = page.by_id("f-tanggal_pelaksanaan")
    assert (tanggal.get("type"), tanggal.get("value")) == ("date", "2026-03-18")
    box = page.by_id("f-skrining_ulang_aman")
    assert (box.get("type"), box.get("value"), box.get("checked")) == ("checkbox", "true", "")
    assert box.get("aria-required") == "true"
    assert page.label_of("f-skrining_ulang_aman") == "Skrining keselamatan ulang: korban aman *"
    klausul = page.by_id("f-klausul_kesepakatan-0")  # required only through if/then
    assert (klausul.tag, klausul.get("aria-required")) == ("textarea", None)
    _, unchecked = render(load("laksanakan_mediasi.json"))
    assert unchecked.by_id("f-skrining_ulang_aman").get("checked") is None
    _, undangan = render(load("undangan_mediasi.json"), {"jam_mediasi": "09:30"})
    jam = undangan.by_id("f-jam_mediasi")
    assert (jam.get("type"), jam.get("value"), jam.get("inputmode")) == ("text", "09:30", None)


CLAUSES = ["Pihak terlapor menafkahi anak Rp1.000.000 sebulan.", "Kedua pihak mengikuti konseling.", "Butir ketiga."]


def clause_texts(page: Page) -> list[str]:
    return [e.text for e in page.find("textarea") if (e.get("name") or "").startswith("klausul_kesepakatan.")]


def test_an_array_of_strings_renders_a_prefilled_textarea_per_clause() -> None:
    for name in ("laksanakan_mediasi.json", "perbaiki_kesepakatan.json"):
        html, page = render(load(name), {"klausul_kesepakatan": CLAUSES})
        fieldset = page.by_id("f-klausul_kesepakatan")
        assert fieldset.tag == "fieldset" and fieldset.get("aria-describedby") == "f-klausul_kesepakatan-bantuan"
        assert page.elements[page.elements.index(fieldset) + 1].text.startswith("Butir kesepakatan")
        assert not page.find("input", name="klausul_kesepakatan")  # no checkboxes from a missing enum
        assert clause_texts(page) == CLAUSES
        for n in range(3):
            area = page.by_id(f"f-klausul_kesepakatan-{n}")
            assert (area.tag, area.get("name"), area.get("rows"), area.get("maxlength")) == (
                "textarea",
                f"klausul_kesepakatan.{n}",
                "2",
                "1000",
            )
            assert area.get("aria-invalid") is None and area.get("aria-describedby") is None
            assert page.label_of(f"f-klausul_kesepakatan-{n}") == f"Butir kesepakatan {n + 1}"
        assert "f-klausul_kesepakatan-3" not in html
    _, perbaiki = render(load("perbaiki_kesepakatan.json"), {"klausul_kesepakatan": CLAUSES})
    assert perbaiki.by_id("f-klausul_kesepakatan-0").get("aria-required") == "true"  # required, minItems 1
    assert perbaiki.by_id("f-klausul_kesepakatan-1").get("aria-required") is None
    _, empty = render(load("laksanakan_mediasi.json"))
    assert clause_texts(empty) == [""]  # max(minItems, 1) empty clause
    assert empty.by_id("f-klausul_kesepakatan-0").get("aria-required") is None
    leading, _ = render(load("perbaiki_kesepakatan.json"), {"klausul_kesepakatan": ["\nBaris kedua", XSS]})
    assert ">\n\nBaris kedua</textarea>" in leading  # a browser drops the first newline only
    assert "<script" not in leading and "&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in leading


def test_an_array_of_strings_parses_back_in_order_without_blank_clauses() -> None:
    schema = load("perbaiki_kesepakatan.json")
    _, page = render(schema, {"klausul_kesepakatan": CLAUSES})
    assert parse_fields(schema, page.submission(), no_files(), refuse_files) == ({"klausul_kesepakatan": CLAUSES}, {})
    form = [
        ("klausul_kesepakatan.10", "Keempat"),
        ("klausul_kesepakatan.2", " Ketiga "),
        ("klausul_kesepakatan.0", "Pertama,\r\nbaris kedua.\r\n"),
        ("klausul_kesepakatan.1", "Kedua"),
        ("klausul_kesepakatan.3", "   "),
        ("klausul_kesepakatan.x", "bukan butir"),
        ("klausul_kesepakatan.01", "bukan butir"),
        ("klausul_kesepakatan", "bukan butir"),
    ]
    assert parse(schema, form) == (
        {"klausul_kesepakatan": ["Pertama,\nbaris kedua.", "Kedua", "Ketiga", "Keempat"]},
        {},
    )
    assert parse(schema, [("klausul_kesepakatan.0", ""), ("klausul_kesepakatan.1", " ")]) == ({}, {})


def test_a_blank_clause_in_the_middle_is_dropped_so_error_indexes_match_the_rerendered_list() -> None:
    schema = load("perbaiki_kesepakatan.json")
    form = [("klausul_kesepakatan.0", "Pertama"), ("klausul_kesepakatan.1", ""), ("klausul_kesepakatan.2", "Ketiga")]
    data, _ = parse(schema, form)
    assert data == {"klausul_kesepakatan": ["Pertama", "Ketiga"]}
    # The engine reports the index into the submitted (compacted) list: 1 is "Ketiga".
    _, page = render(schema, data, {"klausul_kesepakatan.1": "Melanggar R13."})
    assert clause_texts(page) == ["Pertama", "Ketiga"]
    assert page.by_id("f-klausul_kesepakatan-1").get("aria-invalid") == "true"
    assert page.by_id("f-klausul_kesepakatan-0").get("aria-invalid") is None


def test_an_error_on_one_clause_is_shown_beside_that_clause() -> None:
    message = "Butir ini terbaca memuat janji untuk tidak melapor (R13)."
    html, page = render(
        load("laksanakan_mediasi.json"), {"klausul_kesepakatan": CLAUSES}, {"klausul_kesepakatan.1": message}
    )
    second = page.by_id("f-klausul_kesepakatan-1")
    assert (second.get("aria-invalid"), second.get("aria-describedby")) == ("true", "f-klausul_kesepakatan-1-galat")
    error = page.by_id("f-klausul_kesepakatan-1-galat")
    assert (error.tag, error.get("class"), error.text) == ("p", "galat", message)
    label = page.one("label", for_="f-klausul_kesepakatan-1")
    assert page.elements.index(label) < page.elements.index(error) < page.elements.index(second)
    assert page.elements.index(second) < page.elements.index(page.by_id("f-klausul_kesepakatan-2"))
    for n in (0, 2):
        other = page.by_id(f"f-klausul_kesepakatan-{n}")
        assert other.get("aria-invalid") is None and other.get("aria-describedby") is None
    assert html.count(message) == 1
    assert page.by_id("f-klausul_kesepakatan").get("aria-describedby") == "f-klausul_kesepakatan-bantuan"


def test_an_error_on_the_whole_array_of_strings_is_shown_with_the_field_and_every_clause() -> None:
    errors = {"klausul_kesepakatan": "Wajib diisi.", "klausul_kesepakatan.0": "Maksimal 1000 karakter."}
    _, page = render(load("laksanakan_mediasi.json"), {"klausul_kesepakatan": CLAUSES[:2]}, errors)
    assert page.by_id("f-klausul_kesepakatan").get("aria-describedby") == (
        "f-klausul_kesepakatan-bantuan f-klausul_kesepakatan-galat"
    )
    assert page.by_id("f-klausul_kesepakatan-galat").text == "Wajib diisi."
    first, second = page.by_id("f-klausul_kesepakatan-0"), page.by_id("f-klausul_kesepakatan-1")
    assert first.get("aria-describedby") == "f-klausul_kesepakatan-0-galat f-klausul_kesepakatan-galat"
    assert second.get("aria-describedby") == "f-klausul_kesepakatan-galat"
    assert first.get("aria-invalid") == second.get("aria-invalid") == "true"


def test_clauses_are_added_and_removed_within_min_and_max_items() -> None:
    schema = load("perbaiki_kesepakatan.json")  # minItems 1, maxItems 30
    add = {"name": "_add", "value": "klausul_kesepakatan"}
    html, one = render(schema, {"klausul_kesepakatan": CLAUSES[:1]})
    assert '<button type="submit" name="_add" value="klausul_kesepakatan" formnovalidate>' in html
    assert one.one("button", **add).text == "Tambah Butir kesepakatan"
    assert not one.find("button", name="_remove")  # one clause and minItems 1: nothing to remove
    _, two = render(schema, {"klausul_kesepakatan": CLAUSES[:1]}, extra_groups={"klausul_kesepakatan": 1})
    assert clause_texts(two) == [CLAUSES[0], ""]
    removes = two.find("button", name="_remove")
    assert [b.get("value") for b in removes] == ["klausul_kesepakatan.0", "klausul_kesepakatan.1"]
    assert [(b.text, b.get("aria-label"), b.get("formnovalidate")) for b in removes][1] == (
        "Hapus",
        "Hapus Butir kesepakatan 2",
        "",
    )
    thirty = [f"Butir {n}" for n in range(30)]
    _, full = render(schema, {"klausul_kesepakatan": thirty}, extra_groups={"klausul_kesepakatan": 2})
    assert clause_texts(full) == thirty  # maxItems: no empty 31st clause
    assert not full.find("button", name="_add")
    assert len(full.find("button", name="_remove")) == 30
    _, capped = render(schema, {"klausul_kesepakatan": thirty[:29]}, extra_groups={"klausul_kesepakatan": 5})
    assert len(clause_texts(capped)) == 30 and not capped.find("button", name="_add")


def test_clause_add_and_remove_buttons_round_trip() -> None:
    schema = load("perbaiki_kesepakatan.json")
    _, page = render(schema, {"klausul_kesepakatan": CLAUSES})
    added = MultiDict([*page.submission().items(multi=True), ("_add", "klausul_kesepakatan")])
    assert group_action(added) == ("add", "klausul_kesepakatan", None)
    data, _ = parse_fields(schema, added, no_files(), refuse_files)
    _, more = render(schema, data, extra_groups={"klausul_kesepakatan": 1})
    assert clause_texts(more) == [*CLAUSES, ""]
    removed = MultiDict([*more.submission().items(multi=True), ("_remove", "klausul_kesepakatan.1")])
    assert group_action(removed) == ("remove", "klausul_kesepakatan", 1)
    after, errors = parse_fields(schema, removed, no_files(), refuse_files)
    assert (after, errors) == ({"klausul_kesepakatan": [CLAUSES[0], CLAUSES[2]]}, {})
    _, fewer = render(schema, after, extra_groups={})
    assert clause_texts(fewer) == [CLAUSES[0], CLAUSES[2]]
    last = parse(schema, [("klausul_kesepakatan.0", "Satu-satunya"), ("_remove", "klausul_kesepakatan.0")])
    assert last == ({}, {})
    _, again = render(schema, last[0])
    assert clause_texts(again) == [""]  # minItems keeps one empty clause to fill


def test_an_array_of_strings_without_limits_and_an_array_of_enums_stay_apart() -> None:
    schema = {
        "type": "object",
        "properties": {
            "catatan": {"type": "array", "items": {"type": "string"}},
            "warna": {"type": "array", "items": {"type": "string", "enum": ["merah", "biru"]}},
        },
        "additionalProperties": False,
    }
    _, page = render(schema, {"warna": ["biru"]})
    area = page.by_id("f-catatan-0")
    assert (area.tag, area.get("maxlength"), area.text) == ("textarea", None, "")
    assert page.label_of("f-catatan-0") == "catatan 1"
    assert page.one("button", name="_remove").get("value") == "catatan.0"  # no minItems: even the only one
    assert page.one("button", name="_add").get("value") == "catatan"
    assert [b.get("value") for b in page.find("input", type="checkbox", name="warna")] == ["merah", "biru"]
    assert page.one("input", name="warna", value="biru").get("checked") == ""
    assert not page.find("textarea", name="warna.0")
    assert parse(schema, [("catatan.0", "a"), ("catatan.1", "b"), ("warna", "merah")]) == (
        {"catatan": ["a", "b"], "warna": ["merah"]},
        {},
    )


def test_booleans_and_enums_of_other_forms() -> None:
    _, page = render(
        load("pendapat_psikologis.json"), {"kapasitas_korban": True, "risiko_kekerasan_berulang": "sedang"}
    )
    assert [r.get("value") for r in page.find("input", name="kapasitas_korban") if r.get("checked") is not None] == [
        "true"
    ]
    assert not [r for r in page.find("input", name="tanpa_paksaan") if r.get("checked") is not None]
    assert page.label_of("f-risiko_kekerasan_berulang-1") == "Sedang"
    _, koordinasi = render(load("koordinasi_pihak_terkait.json"), {"pihak_terkait": ["rt_rw"]})
    assert page.by_id("f-uraian_psikologis").tag == "textarea"
    rt_rw = koordinasi.one("input", name="pihak_terkait", value="rt_rw")
    assert rt_rw.get("checked") == "" and koordinasi.label_of(rt_rw.get("id") or "") == "Ketua RT/RW"


def test_enum_without_titles_uses_the_raw_value_and_numbers_allow_decimals() -> None:
    schema = {
        "type": "object",
        "properties": {
            "warna": {"type": "string", "enum": ["merah", "biru"]},
            "berat": {"type": "number", "title": "Berat (kg)", "minimum": 0.5},
        },
        "additionalProperties": False,
    }
    _, page = render(schema, {"berat": 2.5})
    assert page.label_of("f-warna-0") == "merah"
    legend = page.elements[page.elements.index(page.by_id("f-warna")) + 1]
    assert legend.text == "warna"  # no title: the property name
    berat = page.by_id("f-berat")
    assert (berat.get("step"), berat.get("min"), berat.get("value"), berat.get("inputmode")) == (
        "any",
        "0.5",
        "2.5",
        None,
    )


# ---------------------------------------------------------------- parsing


def test_full_permohonan_submission_parses_to_the_json_the_schema_expects() -> None:
    schema = load("permohonan_mediasi.json")
    data, errors = parse(schema, full_permohonan_form())
    assert errors == {}
    assert data == {
        "hubungan_pemohon_dengan_korban": "keluarga",
        "korban": [
            {"nama": "Siti Aminah", "umur": 34, "jenis_kelamin": "perempuan"},
            {"nama": "Rina", "umur": 9, "jenis_kelamin": "perempuan"},
        ],
        "terlapor": [{"umur": 40, "jenis_kelamin": "laki_laki"}],
        "hubungan_korban_terlapor": "suami_istri",
        "tempat_kejadian": "Kelurahan Podosugih, Pekalongan Barat",
        "kronologi": "Baris pertama.\nBaris kedua.",
        "permasalahan_yang_dimediasi": "Nafkah anak",
        "jenis_kekerasan": ["psikis", "ekonomi"],
        "tingkat_bahaya": "rendah",
        "kategori_perkara": "perdata_keluarga",
        "persetujuan_korban": True,
    }
    assert type(data["korban"][0]["umur"]) is int
    assert data["persetujuan_korban"] is True
    assert list(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(data)) == []
    validate_form(schema, data)


def test_a_non_integer_gives_a_conversion_error_and_keeps_the_text() -> None:
    form = [*full_permohonan_form(), ("korban.2.nama", "Budi"), ("korban.2.umur", "dua puluh")]
    data, errors = parse(load("permohonan_mediasi.json"), form)
    assert errors == {"korban.2.umur": "Harus berupa bilangan bulat."}
    assert data["korban"][2] == {"nama": "Budi", "umur": "dua puluh"}
    _, page = render(load("permohonan_mediasi.json"), data, errors)
    umur = page.by_id("f-korban-2-umur")
    assert (umur.get("aria-invalid"), umur.get("value")) == ("true", "dua puluh")
    for text in ("1.5", "1_000", "١٢", "12abc"):
        _, bad = parse(load("permohonan_mediasi.json"), [("korban.0.umur", text)])
        assert bad == {"korban.0.umur": "Harus berupa bilangan bulat."}, text


def test_numbers_parse_as_floats_or_give_an_error() -> None:
    schema = {"type": "object", "properties": {"berat": {"type": "number"}}, "additionalProperties": False}
    assert parse(schema, {"berat": " 2.5 "}) == ({"berat": 2.5}, {})
    assert parse(schema, {"berat": "-3"}) == ({"berat": -3.0}, {})
    for text in ("nan", "inf", "1e999", "2,5", "dua"):
        assert parse(schema, {"berat": text}) == ({"berat": text}, {"berat": "Harus berupa angka."}), text


def test_empty_optional_fields_and_unknown_keys_are_left_out() -> None:
    schema = load("undangan_mediasi.json")
    form = {
        "tanggal_mediasi": "2026-03-18",
        "jam_mediasi": " 09:30 ",
        "tempat_mediasi": "Ruang Mediasi DPMPPA",
        "sesi_bersama": "false",
        "sesi_bersama_dipilih_korban": "false",
        "pendamping_korban": "   ",
        "bukan_isian": "x",
        "_submit": "kirim",
    }
    data, errors = parse(schema, form)
    assert errors == {}
    assert data == {
        "tanggal_mediasi": "2026-03-18",
        "jam_mediasi": "09:30",
        "tempat_mediasi": "Ruang Mediasi DPMPPA",
        "sesi_bersama": False,
        "sesi_bersama_dipilih_korban": False,
    }
    validate_form(schema, data)


def test_booleans_parse_from_radios() -> None:
    schema = load("pendapat_psikologis.json")
    data, errors = parse(schema, {"memenuhi_syarat_mediasi": "true", "kapasitas_korban": "false", "tanpa_paksaan": ""})
    assert (data, errors) == ({"memenuhi_syarat_mediasi": True, "kapasitas_korban": False}, {})
    data, errors = parse(schema, {"tanpa_paksaan": "mungkin"})
    assert errors == {"tanpa_paksaan": "Pilih Ya atau Tidak."}


def test_the_must_be_true_checkbox_parses_to_true_or_false() -> None:
    schema = load("laksanakan_mediasi.json")
    assert parse(schema, {"skrining_ulang_aman": "true"})[0] == {"skrining_ulang_aman": True}
    assert parse(schema, {})[0] == {"skrining_ulang_aman": False}


def test_arrays_of_enums_use_every_checked_box() -> None:
    schema = load("koordinasi_pihak_terkait.json")
    data, _ = parse(schema, [("pihak_terkait", "kelurahan"), ("pihak_terkait", "keluarga")])
    assert data == {"pihak_terkait": ["kelurahan", "keluarga"]}
    assert parse(schema, [("pihak_terkait_bersedia", "false")])[0] == {"pihak_terkait_bersedia": False}


def test_empty_groups_are_dropped_and_indexes_follow_numeric_order() -> None:
    form = [
        ("korban.10.nama", "Ketiga"),
        ("korban.2.nama", "Kedua"),
        ("korban.0.nama", "Pertama"),
        ("korban.1.nama", " "),
        ("korban.1.umur", ""),
        ("korban.3.tidak_dikenal", "x"),
    ]
    data, _ = parse(load("permohonan_mediasi.json"), form)
    assert data == {"korban": [{"nama": "Pertama"}, {"nama": "Kedua"}, {"nama": "Ketiga"}]}
    assert parse(load("permohonan_mediasi.json"), {"korban.0.nama": "", "korban.0.umur": ""})[0] == {}


def test_remove_drops_the_named_group_and_errors_follow_the_new_index() -> None:
    form = [
        ("korban.0.nama", "Siti"),
        ("korban.1.nama", "Rina"),
        ("korban.2.nama", "Budi"),
        ("korban.2.umur", "x"),
        ("_remove", "korban.1"),
    ]
    data, errors = parse(load("permohonan_mediasi.json"), form)
    assert data["korban"] == [{"nama": "Siti"}, {"nama": "Budi", "umur": "x"}]
    assert errors == {"korban.1.umur": "Harus berupa bilangan bulat."}


def test_uploads_are_stored_and_existing_documents_kept() -> None:
    schema = load("lengkapi_berkas.json")
    stored: list[tuple[str, FileStorage, bytes]] = []

    def store_file(path: str, file: FileStorage) -> str:
        stored.append((path, file, file.read()))
        return NEW_DOC_ID

    ktp = upload()
    data, errors = parse_fields(
        schema,
        MultiDict([("lampiran_tambahan__existing", DOC_ID)]),
        MultiDict([("lampiran_tambahan", ktp)]),
        store_file,
    )
    assert (data, errors) == ({"lampiran_tambahan": NEW_DOC_ID}, {})
    assert stored == [("lampiran_tambahan", ktp, b"%PDF-1.4 ktp")]
    stored.clear()
    empty_part = FileStorage(io.BytesIO(b""), filename="", content_type="application/octet-stream")
    data, _ = parse_fields(
        schema,
        MultiDict([("lampiran_tambahan__existing", DOC_ID)]),
        MultiDict([("lampiran_tambahan", empty_part)]),
        store_file,
    )
    assert data == {"lampiran_tambahan": DOC_ID} and stored == []
    data, _ = parse_fields(schema, MultiDict(), MultiDict([("lampiran_tambahan", empty_part)]), store_file)
    assert data == {} and stored == []


def test_rerendering_after_an_upload_keeps_the_document() -> None:
    schema = load("lengkapi_berkas.json")
    files = MultiDict([("lampiran_tambahan", upload())])
    data, _ = parse_fields(schema, MultiDict({"keterangan_tambahan": ""}), files, lambda path, file: NEW_DOC_ID)
    assert data == {"lampiran_tambahan": NEW_DOC_ID}
    _, page = render(schema, data, {"keterangan_tambahan": "Wajib diisi."})
    again, _ = parse_fields(schema, page.submission(), no_files(), refuse_files)
    assert again == {"lampiran_tambahan": NEW_DOC_ID}


def test_add_and_remove_buttons_round_trip() -> None:
    schema = load("permohonan_mediasi.json")
    form = MultiDict([*full_permohonan_form(), ("_add", "korban")])
    assert group_action(form) == ("add", "korban", None)
    data, _ = parse_fields(schema, form, no_files(), refuse_files)
    _, page = render(schema, data, extra_groups={"korban": 1})
    assert len(page.find("fieldset", class_="group")) == 4  # two korban, an empty third, one terlapor
    submitted = MultiDict([*page.submission().items(multi=True), ("_remove", "korban.0")])
    assert group_action(submitted) == ("remove", "korban", 0)
    after, _ = parse_fields(schema, submitted, no_files(), refuse_files)
    assert after["korban"] == [{"nama": "Rina", "umur": 9, "jenis_kelamin": "perempuan"}]


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"_add": "korban"}, ("add", "korban", None)),
        ({"_remove": "korban.3"}, ("remove", "korban", 3)),
        ({"_remove": "korban.0.anak.12"}, ("remove", "korban.0.anak", 12)),
        ({"_remove": "korban"}, None),
        ({"_remove": "korban.x"}, None),
        ({"_remove": "korban.-1"}, None),
        ({"_add": ""}, None),
        ({"_submit": "kirim"}, None),
        ({}, None),
    ],
)
def test_group_action(form: dict[str, str], expected: tuple[str, str, int | None] | None) -> None:
    assert group_action(MultiDict(form)) == expected
