"""SIMFONI-PPA-style code tables, and how the forms' values map onto them.

The tables are data (engine/data/simfoni/*.csv, `kode,label`), and so is the mapping from the
forms' values to codes (`pemetaan.csv`: `tabel,isian,nilai,kode`), so that adjusting the export to
the codes of the SIMFONI-PPA version in use is an edit of data files. Pure: no database.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CODES_DIR = Path(__file__).parent / "data" / "simfoni"
MAPPING_FILE = "pemetaan.csv"

AGE_GROUP = "kelompok_umur"
SEX = "jenis_kelamin"
RELATIONSHIP = "hubungan"
VIOLENCE = "jenis_kekerasan"
PLACE = "tempat_kejadian"
SERVICE = "layanan"
TABLES = (AGE_GROUP, SEX, RELATIONSHIP, VIOLENCE, PLACE, SERVICE)

OTHER = "98"  # "Lainnya": a value the table has no code of its own for
UNKNOWN = "99"  # "Tidak diketahui": nothing was recorded, or nothing that maps
COMPLETED_FORM = "formulir"  # in the mapping: the service a completed form stands for

# The upper age (inclusive) of each age group; older than the last is "60 tahun ke atas".
AGE_BANDS = ((5, "01"), (12, "02"), (17, "03"), (24, "04"), (44, "05"), (59, "06"))
OLDEST = "07"


@dataclass(frozen=True)
class CodeTables:
    """Every code table (code -> label, in file order) and the mapping of form values to codes."""

    labels: Mapping[str, Mapping[str, str]]
    mapping: Mapping[tuple[str, str, str], str]

    def label(self, table: str, code: str) -> str:
        """The label of a code."""
        return self.labels[table][code]

    def code(self, table: str, field: str, value: Any) -> str | None:
        """The code of a form field's value in `table`, or None when the mapping has none."""
        return self.mapping.get((table, field, _text(value)))

    def age_group(self, age: Any) -> str:
        """The age group of an age in years; unknown when no age was recorded."""
        if isinstance(age, bool) or not isinstance(age, int) or age < 0:
            return UNKNOWN
        return next((code for upper, code in AGE_BANDS if age <= upper), OLDEST)

    def sex(self, value: Any) -> str:
        """The code of a person's `jenis_kelamin`."""
        return self.code(SEX, "jenis_kelamin", value) or UNKNOWN

    def relationship(self, value: Any) -> str:
        """The code of `hubungan_korban_terlapor`; a value the mapping lacks is "Lainnya"."""
        if not isinstance(value, str):
            return UNKNOWN
        return self.code(RELATIONSHIP, "hubungan_korban_terlapor", value) or OTHER

    def violence(self, values: Any) -> list[str]:
        """The codes of `jenis_kekerasan`, each once, in table order; unknown when none was recorded.

        A value the mapping lacks (a newer form's) counts as "Lainnya" rather than falling out.
        """
        items = values if isinstance(values, list) else []
        found = {self.code(VIOLENCE, "jenis_kekerasan", v) or OTHER for v in items}
        return [code for code in self.labels[VIOLENCE] if code in found] or [UNKNOWN]

    def place(self, text: Any) -> str:
        """The kecamatan a free-text place names, when it names exactly one; the text itself never leaves.

        The form asks for the place as free text (often an address), so the mapping's values for
        this table are phrases looked for in it, not whole values.
        """
        if not isinstance(text, str):
            return UNKNOWN
        words = " ".join(text.lower().split())
        found = {code for (table, _, phrase), code in self.mapping.items() if table == PLACE and phrase in words}
        return found.pop() if len(found) == 1 else UNKNOWN

    def services(self, completed: Iterable[tuple[str, Mapping[str, Any]]]) -> list[str]:
        """The services a case was given, from the forms it completed (name, data as submitted)."""
        found: set[str | None] = set()
        for form, data in completed:
            found.add(self.code(SERVICE, COMPLETED_FORM, form))
            for field, value in data.items():
                items = value if isinstance(value, list) else [value]
                found.update(self.code(SERVICE, field, item) for item in items)
        return [code for code in self.labels[SERVICE] if code in found]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else repr(value)


def _rows(name: str) -> list[dict[str, str]]:
    with (CODES_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def code_tables() -> CodeTables:
    """The shipped code tables and mapping (read once)."""
    labels = {table: {row["kode"]: row["label"] for row in _rows(f"{table}.csv")} for table in TABLES}
    mapping = {(row["tabel"], row["isian"], row["nilai"]): row["kode"] for row in _rows(MAPPING_FILE)}
    for (table, _, _), code in mapping.items():
        if code not in labels.get(table, {}):
            raise ValueError(f"{MAPPING_FILE}: kode {code} tidak ada di tabel {table}")
    return CodeTables(labels=labels, mapping=mapping)
