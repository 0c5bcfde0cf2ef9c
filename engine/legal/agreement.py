"""R13's automatic detector: what an agreement's clauses may never say, read as Indonesian is written.

An agreement (kesepakatan) may not hold a promise not to report, or to withdraw a report of, an
offence that is not a complaint offence (delik aduan); a marriage of the victim to the
perpetrator; or a payment for the victim's silence (UU 12/2022 Pasal 10 and 23).

The detector is a warning, not the guarantee: the two attestations (engine.legal.rules) are. It
reads each clause after normalising it (case, accents, "Rp5.000.000" and "Rp 5 juta" alike,
punctuation), word by word, knowing the Indonesian word forms of each root (cabut, dicabut,
mencabut, pencabutan...) and their synonyms (lapor, laporan, LP, polisi, polres, polsek...). A
finding names the clause and the words that matched, so the people attesting can look again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

REPORT, MARRIAGE, SILENCE_MONEY = "lapor", "perkawinan", "uang_diam"

# Word families, as regular expressions over one normalised word.
_REPORT_WORDS = re.compile(
    r"^(?:(?:me|di|pe)?lapor(?:kan|an|nya)?|pelaporan(?:nya)?|lp|(?:meng|peng|di)?adu(?:kan|an)?|aduan(?:nya)?"
    r"|menuntut|dituntut|tuntut(?:an)?|memperkarakan|dipe?rkarakan|mempidanakan|dipidanakan)$"
)
_AUTHORITY_WORDS = re.compile(
    r"^(?:polisi|kepolisian|polres(?:ta)?|polsek|polda|polresta|reskrim|satreskrim|penyidik|kejaksaan|jaksa"
    r"|pengadilan|pidana|hukum)$"
)
_WITHDRAW_WORDS = re.compile(
    r"^(?:(?:men|di|pen)?cabut(?:an|kan|nya)?|pencabutan(?:nya)?|menarik|ditarik|tarik|penarikan"
    r"|(?:mem|di|pem)?batal(?:kan|an)?|pembatalan|(?:meng|di)?hentikan|penghentian)$"
)
_PURSUE_WORDS = re.compile(
    r"^(?:(?:me|di)?lanjut(?:kan)?|melanjutkan|(?:me|di)?neruskan|meneruskan|(?:mem|di)?bawa(?:nya)?|membawa"
    r"|(?:me|di)?nempuh|menempuh|(?:mem|di)?proses(?:kan)?|memproses|ke)$"
)
_NEGATIONS = frozenset({"tidak", "tak", "tdk", "gak", "nggak", "enggan", "urung", "batal", "jangan", "dilarang"})
# Words that may sit between a negation and what it negates ("tidak akan jadi melapor").
_FILLERS = frozenset(
    {"akan", "jadi", "lagi", "pernah", "mau", "boleh", "perlu", "usah", "bakal", "sampai", "untuk", "wajib", "harus"}
    | {"diwajibkan", "diharuskan", "dipaksa", "berjanji", "bersedia", "sepakat"}
)
# A negation of these does not negate the report ("tidak menghapus hak untuk melapor").
_RIGHTS = frozenset({"hak", "berhak", "haknya", "tetap"})
_MARRY_WORDS = re.compile(
    r"^(?:nikah|(?:me|di)?nikah(?:i|kan|kannya)?|menikahkan|dinikahkan|kawin|(?:meng|di)?kawini|mengawini"
    r"|(?:meng|di)?kawinkan|mengawinkan|rujuk)$"
)
_MARRIAGE_NOUNS = frozenset({"pernikahan", "perkawinan"})
_MARRIAGE_INTENT = frozenset(
    {"melangsungkan", "melaksanakan", "mencatatkan", "meresmikan", "akan", "bersedia", "merencanakan", "menyetujui"}
)
_SPOUSE_WORDS = frozenset({"istri", "isteri", "suami", "istrinya", "suaminya"})
_BECOME_WORDS = frozenset({"menjadi", "jadi", "dijadikan", "menjadikan", "sebagai"})
# Phrases around marriage words that are not a marriage of the parties.
_NOT_A_MARRIAGE = re.compile(
    r"\b(?:akta|buku|surat|kutipan)\s+(?:nikah|perkawinan)\b|\b(?:selama|dalam|putusnya|sejak)\s+(?:perkawinan|pernikahan)\b"
    r"|\bmantan\s+(?:istri|isteri|suami)\b|\b(?:menikah|kawin)\s+lagi\s+dengan\s+orang\s+lain\b"
)
_MONEY_WORDS = re.compile(
    r"^(?:uang|rp|rupiah|juta|ribu|(?:mem|di|pem)?bayar(?:kan|an)?|membayar|dibayar|pembayaran|bayaran|imbalan"
    r"|kompensasi|santunan|(?:mem|di)?beri(?:kan)?|memberi|memberikan|hadiah|transfer|ditransfer|menerima)$"
)
_PAYMENT_CORE = re.compile(r"^(?:uang|rp|rupiah|juta|ribu|imbalan|kompensasi|santunan|hadiah|bayaran)$")
_SILENCE_WORDS = re.compile(
    r"^(?:diam|berdiam|mendiamkan|bungkam|(?:me|di)?rahasiakan|merahasiakan|dirahasiakan|rahasia)$"
)
_TELL_WORDS = re.compile(
    r"^(?:cerita|bercerita|(?:men|di)?ceritakan|menceritakan|diceritakan|(?:meng|di)?ungkap(?:kan)?|mengungkap"
    r"|mengungkapkan|(?:mem|di)?bicarakan|membicarakan|berbicara|bicara|(?:meny|di)?sebar(?:kan|luaskan)?"
    r"|menyebarkan|menyebarluaskan|bilang|(?:mem|di)?beritahu(?:kan)?|memberitahukan|buka|membuka|mengaku)$"
)
_HUSH_PHRASES = re.compile(r"\b(?:uang\s+(?:tutup\s+mulut|damai|diam)|tutup\s+mulut|buka\s+suara)\b")
_WINDOW = 6  # words between the parts of one phrasing


@dataclass(frozen=True)
class Finding:
    """One clause that reads like what R13 forbids."""

    clause: int  # index in the agreement's clause list
    rule: str  # REPORT, MARRIAGE or SILENCE_MONEY
    words: str  # the words that matched, as normalised

    def message(self) -> str:
        """The warning beside the clause, in Indonesian."""
        what = {
            REPORT: "janji untuk tidak melapor atau mencabut laporan atas tindak pidana yang bukan delik aduan",
            MARRIAGE: "perkawinan antara korban dan pelaku",
            SILENCE_MONEY: "pembayaran agar korban tidak mengungkapkan kejadian",
        }[self.rule]
        return f"Peringatan R13: butir ini terbaca memuat {what} (\u201c{self.words}\u201d)."


def normalise(text: str) -> str:
    """Lower case without accents, money written one way ("rp 5000000"), words separated by single spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"\brp\.?\s*(?=\d)", "rp ", text)
    text = re.sub(r"(?<=\d)[.,](?=\d{3}\b)", "", text)
    text = re.sub(r"[^\w\s;.!?]", " ", text)
    return " ".join(text.split())


def _sentences(clause: str) -> list[list[str]]:
    return [s.split() for s in re.split(r"[;.!?]", normalise(clause)) if s.strip()]


def check_clauses(clauses: Sequence[str], *, complaint_offence: bool) -> list[Finding]:
    """What each clause seems to say that R13 forbids (empty: nothing found).

    `complaint_offence`: the case is a delik aduan, whose victim may freely choose not to prosecute.
    """
    findings: list[Finding] = []
    for index, clause in enumerate(clauses):
        for words in _sentences(clause):
            sentence = " ".join(words)
            if not complaint_offence and (found := _report(words)):
                findings.append(Finding(index, REPORT, found))
            if found := _marriage(_NOT_A_MARRIAGE.sub(" ", sentence).split()):
                findings.append(Finding(index, MARRIAGE, found))
            if found := _silence_money(words, sentence):
                findings.append(Finding(index, SILENCE_MONEY, found))
    return _unique(findings)


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    seen: set[tuple[int, str]] = set()
    kept = []
    for finding in findings:
        if (finding.clause, finding.rule) not in seen:
            seen.add((finding.clause, finding.rule))
            kept.append(finding)
    return kept


def _negated(words: Sequence[str], at: int) -> bool:
    """Whether the word at `at` is negated: a negation before it, only fillers between, no right in between."""
    i = at - 1
    while i >= 0 and words[i] in _FILLERS:
        i -= 1
    return i >= 0 and words[i] in _NEGATIONS and not any(w in _RIGHTS for w in words[max(0, i - 2) : at])


def _report(words: Sequence[str]) -> str:
    """A promise not to report, or to withdraw a report ("laporan polisi akan dicabut", "tidak jadi lapor")."""
    for i, word in enumerate(words):
        if _REPORT_WORDS.match(word) and _negated(words, i):
            return " ".join(words[max(0, i - 3) : i + 1])
        if _WITHDRAW_WORDS.match(word) and not _negated(words, i):
            near = words[max(0, i - _WINDOW) : i + _WINDOW + 1]
            if any(_REPORT_WORDS.match(w) for w in near) and not any(w in _RIGHTS for w in near):
                return " ".join(near)
        if _PURSUE_WORDS.match(word) and _negated(words, i):
            after = words[i + 1 : i + 1 + _WINDOW]
            if any(_REPORT_WORDS.match(w) or _AUTHORITY_WORDS.match(w) for w in after):
                return " ".join(words[max(0, i - 2) : i + 1 + _WINDOW])
    return ""


def _marriage(words: Sequence[str]) -> str:
    """A marriage of the parties ("akan menikahi", "bersedia menjadi istri pihak kedua").

    `words` come without the phrases that name a marriage without making one ("akta nikah",
    "selama perkawinan", "mantan istri").
    """
    for i, word in enumerate(words):
        if _MARRY_WORDS.match(word) and not _negated(words, i):
            return " ".join(words[max(0, i - 2) : i + 3])
        if word in _MARRIAGE_NOUNS and any(w in _MARRIAGE_INTENT for w in words[max(0, i - 3) : i]):
            return " ".join(words[max(0, i - 3) : i + 1])
        if word in _SPOUSE_WORDS and i > 0 and words[i - 1] in _BECOME_WORDS:
            return " ".join(words[max(0, i - 2) : i + 3])
    return ""


def _silence_money(words: Sequence[str], sentence: str) -> str:
    """Money given for the victim's silence ("uang tutup mulut", "Rp5.000.000 ... tidak akan cerita")."""
    if match := _HUSH_PHRASES.search(sentence):
        return match.group(0)
    if not any(_PAYMENT_CORE.match(w) for w in words):
        return ""
    for i, word in enumerate(words):
        if _SILENCE_WORDS.match(word) and not _negated(words, i):
            return word
        if _TELL_WORDS.match(word) and _negated(words, i):
            return " ".join(words[max(0, i - 3) : i + 1])
    return ""


def clauses_of(data: dict[str, object]) -> list[str]:
    """An agreement's clauses in submitted data: `klausul_kesepakatan`, or the older `isi_kesepakatan` text."""
    clauses = data.get("klausul_kesepakatan")
    if isinstance(clauses, list):
        return [str(c) for c in clauses]
    text = data.get("isi_kesepakatan")
    return [str(text)] if isinstance(text, str) and text.strip() else []
