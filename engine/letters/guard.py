"""R13: what an agreement (kesepakatan) may never contain.

An agreement may not hold a promise not to report, or to withdraw a report of, an offence that
is not a complaint offence (delik aduan); a marriage of the victim to the perpetrator; or a
payment for the victim's silence (UU 12/2022 Pasal 10 and 23). The guard reads the agreement's
text, sentence by sentence, for the Indonesian phrasings of each; a match refuses the step with
the words that matched, for staff to reword. It is a guard, not a judge: it cannot tell an
allowed sentence that uses a listed phrase, and wording it does not know passes.
"""

from __future__ import annotations

import re

_F = re.IGNORECASE

_REPORT = (
    re.compile(
        r"\btidak\s+(?:akan\s+)?(?:melapor\w*|mengadu\w*|menuntut|memperkarakan|mempidanakan|"
        r"memproses\s+secara\s+hukum)",
        _F,
    ),
    re.compile(
        r"\b(?:mencabut|menarik(?:\s+kembali)?|cabut|tarik)\s+(?:kembali\s+)?(?:laporan|pelaporan|pengaduan|aduan|tuntutan)",
        _F,
    ),
    re.compile(
        r"\btidak\s+(?:akan\s+)?(?:menempuh|melanjutkan|meneruskan|membawa)\b[^.;\n]{0,40}?"
        r"\b(?:(?:jalur|proses|ranah|upaya)\s+(?:hukum|pidana)|polisi|kepolisian|polres|polsek|pengadilan|kejaksaan)",
        _F,
    ),
)
_MARRIAGE = (
    re.compile(r"\b(?:menikah|menikahi|dinikahi|dinikahkan|mengawini|dikawini|dikawinkan|kawin)\b", _F),
    re.compile(r"\b(?:melangsungkan|melaksanakan|mencatatkan|meresmikan)\s+(?:pernikahan|perkawinan)\b", _F),
    re.compile(r"\b(?:nikah\s+siri|rujuk)\b", _F),
)
_HUSH_MONEY = re.compile(r"\b(?:uang\s+(?:tutup\s+mulut|damai|diam)|tutup\s+mulut)\b", _F)
_PAYMENT = re.compile(
    r"\b(?:uang|bayar|membayar|dibayar|pembayaran|imbalan|kompensasi|ganti\s+rugi|memberi(?:kan)?\s+sejumlah)\b", _F
)
_SILENCE = re.compile(
    r"\b(?:merahasiakan|dirahasiakan|(?:agar|supaya|untuk)\s+(?:tetap\s+)?diam|tidak\s+(?:akan\s+)?(?:menceritakan|mengungkap\w*|membicarakan|"
    r"menyebarkan|menyebarluaskan|memberitahukan|membuka))\b",
    _F,
)
# A sentence ends at . ; ! or ? before a space or the end (not inside "Rp5.000.000"), or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+|\n")


def agreement_problems(text: str, *, complaint_offence: bool) -> list[str]:
    """What in `text` R13 forbids, one Indonesian sentence per rule broken (empty: nothing found).

    `complaint_offence`: the case is a delik aduan, whose victim may freely choose not to prosecute.
    """
    problems: list[str] = []
    if not complaint_offence and (found := _first(_REPORT, text)):
        problems.append(
            "Kesepakatan tidak boleh memuat janji untuk tidak melapor atau mencabut laporan atas tindak pidana "
            f"yang bukan delik aduan (R13): \u201c{found}\u201d."
        )
    if found := _first(_MARRIAGE, text):
        problems.append(
            f"Kesepakatan tidak boleh memuat perkawinan antara korban dan pelaku (R13): \u201c{found}\u201d."
        )
    if found := _hush_money(text):
        problems.append(
            "Kesepakatan tidak boleh memuat pembayaran agar korban tidak mengungkapkan kejadian (R13): "
            f"\u201c{found}\u201d."
        )
    return problems


def _first(patterns: tuple[re.Pattern[str], ...], text: str) -> str:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return " ".join(match.group(0).split())
    return ""


def _hush_money(text: str) -> str:
    if match := _HUSH_MONEY.search(text):
        return " ".join(match.group(0).split())
    for sentence in _SENTENCE_END.split(text):
        if _PAYMENT.search(sentence) and (silence := _SILENCE.search(sentence)):
            return " ".join(silence.group(0).split())
    return ""
