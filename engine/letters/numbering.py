"""Letter numbers: a pattern with tokens, and a sequence per series and year.

A pattern such as `{kode}/{urut}/{unit}/{bulan_romawi}/{tahun}` (the shape of the service
standard's own "060/060/VI/Tahun 2021") gives every letter of a kind its number. The sequence
row of a series and year is taken with one upsert that returns the new last number; it stays
locked (PostgreSQL's row lock, SQLite's write lock) until the step commits, so two steps never
get the same number and a step that fails gives its numbers back.
"""

from __future__ import annotations

import string
from datetime import date

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.letters.dates import roman_month
from engine.persistence.models import LetterSequence

TOKENS = ("kode", "urut", "unit", "bulan", "bulan_romawi", "tahun")
DEFAULT_PATTERN = "{kode}/{urut}/{unit}/{bulan_romawi}/{tahun}"
MAX_NUMBER = 100


def check_pattern(pattern: str) -> str:
    """The pattern, stripped, if it is usable; InvalidInput naming what is wrong otherwise."""
    pattern = pattern.strip()
    if not pattern or len(pattern) > MAX_NUMBER:
        raise InvalidInput(f"Pola penomoran wajib diisi (maksimal {MAX_NUMBER} karakter).")
    try:
        parsed = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(pattern) if name is not None]
    except ValueError:
        raise InvalidInput("Pola penomoran memuat kurung kurawal yang tidak berpasangan.") from None
    fields = [name for name, _, _ in parsed]
    specs = [(spec, conv) for _, spec, conv in parsed]
    unknown = sorted({f for f in fields if f not in TOKENS})
    if unknown or any(spec or conv for spec, conv in specs):
        raise InvalidInput(
            f"Pola penomoran memuat penanda tidak dikenal: {', '.join(unknown) or 'format khusus'}. "
            f"Penanda yang dapat dipakai: {', '.join('{' + t + '}' for t in TOKENS)}."
        )
    if "urut" not in fields or "tahun" not in fields:
        raise InvalidInput("Pola penomoran harus memuat {urut} dan {tahun}: nomor urut berulang setiap tahun.")
    return pattern


def format_number(pattern: str, *, code: str, unit: str, sequence: int, day: date) -> str:
    """The number a pattern gives the `sequence`-th letter of the year of `day`."""
    return pattern.format(
        kode=code,
        urut=f"{sequence:03d}",
        unit=unit,
        bulan=f"{day.month:02d}",
        bulan_romawi=roman_month(day),
        tahun=day.year,
    )


def take_numbers(session: Session, series: str, year: int, count: int) -> list[int]:
    """The next `count` sequence numbers of `series` in `year`, in one statement."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(LetterSequence).values(series=series, year=year, last=count)
    statement = statement.on_conflict_do_update(
        index_elements=["series", "year"], set_={"last": LetterSequence.last + count}
    )
    last = session.execute(statement.returning(LetterSequence.last)).scalar_one()
    return list(range(last - count + 1, last + 1))
