"""The legal scenarios every new process version is simulated on before it may be deployed.

The runtime guard (engine.legal.guard) refuses every mediation step the screening record forbids,
but a diagram must be lawful by itself: a version on which any of the fixed scenarios below can
reach mediation *by the diagram alone* is refused at deploy.

Each scenario is a full start submission, built from a valid, mediable request and changed in one
respect that makes mediation impossible (sexual violence, trafficking, a child victim, high danger,
...), plus the answers later tasks would give to the screening questions. The simulation starts the
workflow with it and searches depth first over what people could submit: at each state it takes the
first ready user task and branches over candidate submissions of its form, where

- the screening answers (engine.legal.screening.SCREENING_FIELDS) are always the scenario's truth,
- the "decision fields" (every name a condition or script of the diagram reads, and the fields
  letters depend on) range over their form values (enum values, True and False, ...), capped,
- every other field gets a plain default.

Submissions are not validated against the forms: a more permissive simulation is conservative.
A step that issues a mediation letter or ends the case "mediated" is a violation; a search that
exceeds its budget fails closed and is a violation too. Timers are never fired.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine import runtime
from engine.bpmn.catalog import Catalog
from engine.bpmn.xml import parse_bpmn
from engine.calendar import OFFICE_ZONE, WorkingCalendar
from engine.errors import DeploymentInvalid, MediasiError, Problem
from engine.legal import rules, screening
from engine.legal.guard import MEDIATED, MEDIATION_LETTERS, step_effects
from engine.letters.kinds import KINDS

if TYPE_CHECKING:
    from engine.bpmn.validate import CompiledDefinition

# A Monday morning in service hours, not a holiday: the moment every simulation runs at.
SIMULATION_MOMENT = datetime(2026, 3, 2, 10, 0, tzinfo=OFFICE_ZONE)
DEFAULT_BUDGET = 2000
MAX_COMBINATIONS = 16  # candidate submissions per task
CACHE_SIZE = 32
BUDGET_MARK = "budget"  # a violation's path when the search ran out of budget: ("budget:<n>",)
# Fields that decide what happens besides those the diagram reads: whether an agreement is issued.
LETTER_FIELDS = ("hasil_mediasi", "kesepakatan_disetujui")
SCRIPT_TAGS = ("conditionExpression", "script", "preScript", "postScript")

DEFAULT_TEXT = "Uji kesesuaian"
DEFAULT_DATE = "2026-03-02"
DEFAULT_TIME = "10:00"
DEFAULT_DATETIME = "2026-03-02T10:00:00+07:00"
DEFAULT_FILE = "00000000-0000-4000-8000-000000000000"

# A complete, mediable request (the start form), the base every scenario changes in one respect.
BASE_REQUEST: dict[str, Any] = {
    "hubungan_pemohon_dengan_korban": "korban_sendiri",
    "korban": [{"nama": "Korban Uji", "umur": 34, "jenis_kelamin": "perempuan"}],
    "terlapor": [{"nama": "Terlapor Uji", "umur": 38, "jenis_kelamin": "laki_laki"}],
    "hubungan_korban_terlapor": "mantan_suami_istri",
    "tempat_kejadian": "Kelurahan Uji",
    "kronologi": "Kronologi uji kesesuaian diagram.",
    "permasalahan_yang_dimediasi": "Nafkah anak",
    "jenis_kekerasan": ["psikis", "ekonomi"],
    "tingkat_bahaya": "rendah",
    "kategori_perkara": "perdata_keluarga",
    "persetujuan_korban": True,
}
# The mediable answers to the screening questions tasks ask after the request (the assessment, the opinions).
BASE_ANSWERS: dict[str, Any] = {
    "memenuhi_syarat_mediasi": True,
    "kapasitas_korban": True,
    "tanpa_paksaan": True,
    "pilihan_korban_sendiri": True,
    "risiko_kekerasan_berulang": "rendah",
    **{f"rekomendasi_{d}": "layak" for d in screening.DISCIPLINES},
}


@dataclass(frozen=True)
class Scenario:
    """One case the law forbids to mediate: the request's changes, and what later tasks would answer."""

    name: str
    title: str
    request: Mapping[str, Any]
    answers: Mapping[str, Any] = field(default_factory=dict)

    def truth(self, base: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Every screening answer of the case: the base request and answers with this scenario's changes."""
        merged = {**BASE_ANSWERS, **(BASE_REQUEST if base is None else base), **self.request, **self.answers}
        return {k: v for k, v in merged.items() if k in screening.SCREENING_FIELDS}


@dataclass(frozen=True)
class Violation:
    """A scenario reaching mediation: `element` is the task or event whose step did, `path` the user tasks done.

    When the search ran out of budget, `element` is "" and `path` is ("budget:<n>",).
    """

    scenario: str
    title: str
    element: str
    path: tuple[str, ...]

    @property
    def out_of_budget(self) -> bool:
        """Whether this is the fail-closed verdict of a search that could not finish."""
        return not self.element and len(self.path) == 1 and self.path[0].startswith(f"{BUDGET_MARK}:")


def _mediable_base() -> None:
    """The base must be mediable, or a scenario would prove nothing about the diagram."""
    found = screening.blocks(screening.fold(screening.empty(), {**BASE_REQUEST, **BASE_ANSWERS}))
    if found:
        raise ValueError(f"conformance base request is not mediable: {[b.rule for b in found]}")


def _scenario(name: str, title: str, request: Mapping[str, Any], answers: Mapping[str, Any] | None = None) -> Scenario:
    """A scenario, checked to be one the screening rules really forbid to mediate."""
    built = Scenario(name, title, dict(request), dict(answers or {}))
    if not screening.blocks(screening.fold(screening.empty(), built.truth())):
        raise ValueError(f"conformance scenario {name!r} is mediable")
    return built


_mediable_base()
SCENARIOS: tuple[Scenario, ...] = (
    _scenario("kekerasan_seksual", "Kekerasan seksual", {"jenis_kekerasan": ["seksual"]}),
    _scenario("perdagangan_orang", "Perdagangan orang", {"jenis_kekerasan": ["perdagangan_orang"]}),
    _scenario("eksploitasi", "Eksploitasi", {"jenis_kekerasan": ["eksploitasi"]}),
    _scenario(
        "anak_korban",
        "Korban anak",
        {
            "korban": [{"nama": "Korban Uji", "umur": 15, "jenis_kelamin": "perempuan"}],
            "kategori_perkara": "delik_aduan",
            "jenis_kekerasan": ["fisik"],
            "hubungan_korban_terlapor": "orang_tua_anak",
        },
    ),
    _scenario(
        "pelaku_anak",
        "Terlapor anak atas kekerasan seksual",
        {
            "terlapor": [{"nama": "Terlapor Uji", "umur": 16, "jenis_kelamin": "laki_laki"}],
            "jenis_kekerasan": ["seksual"],
        },
    ),
    _scenario("bahaya_tinggi", "Tingkat bahaya tinggi", {"tingkat_bahaya": "tinggi"}),
    _scenario("tanpa_persetujuan", "Tanpa persetujuan korban sendiri", {"persetujuan_korban": False}),
    _scenario(
        "asesmen_gagal",
        "Asesmen psikologis tidak memenuhi syarat",
        {},
        {"memenuhi_syarat_mediasi": False, "kapasitas_korban": False, "tanpa_paksaan": False},
    ),
    _scenario("kategori_tidak_memenuhi", "Kategori perkara tidak dapat dimediasi", {"kategori_perkara": "lainnya"}),
)

_CACHE: OrderedDict[tuple[str, str, int], tuple[Violation, ...]] = OrderedDict()
_CACHE_LOCK = threading.Lock()


# -- the public API ------------------------------------------------------------------------------


def check(
    compiled: CompiledDefinition, *, start_data: Mapping[str, Any] | None = None, budget: int = DEFAULT_BUDGET
) -> list[Violation]:
    """Simulate every scenario on `compiled`; at most one violation per scenario (empty: the diagram conforms).

    `start_data` replaces the base request the scenarios change. A process whose start form does not
    ask "jenis_kekerasan" is not a violence case and is not checked.
    """
    key = (
        compiled.content_hash,
        json.dumps(start_data, sort_keys=True, default=str) if start_data is not None else "",
        budget,
    )
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
    if cached is not None:
        return list(cached)
    found = tuple(_check(compiled, start_data, budget))
    with _CACHE_LOCK:
        _CACHE[key] = found
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return list(found)


def problems(compiled: CompiledDefinition, xml: bytes, filename: str) -> list[Problem]:
    """The violations of `compiled` as deploy problems, each at the line of its element in `xml`."""
    return problems_for(compiled, check(compiled), xml, filename)


def problems_for(
    compiled: CompiledDefinition, violations: Iterable[Violation], xml: bytes, filename: str
) -> list[Problem]:
    """`violations` of `compiled` as deploy problems; one out of budget points at the process element."""
    found = []
    for violation in violations:
        element = violation.element or compiled.key
        message = (
            _budget_message(violation) if violation.out_of_budget else _violation_message(compiled.catalog, violation)
        )
        found.append(Problem(filename, line_of(xml, element), message, violation.element or None))
    return found


def line_of(xml: bytes, element: str) -> int | None:
    """The line of `xml` on which the element with id `element` starts (None when there is none)."""
    match = re.search(rb'\sid="' + re.escape(element.encode()) + rb'"', xml)
    return xml.count(b"\n", 0, match.start()) + 1 if match else None


# -- messages --------------------------------------------------------------------------------------


def _violation_message(catalog: Catalog, violation: Violation) -> str:
    kinds = [k for k in catalog.letters.get(violation.element, ()) if k in MEDIATION_LETTERS]
    what = ", ".join(KINDS[k].title for k in kinds) or "hasil \u201cmediasi dilaksanakan\u201d"
    steps = " \u2192 ".join(_task_title(catalog, e) for e in violation.path) or "permohonan saja"
    return (
        f'skenario hukum "{violation.title}" dapat mencapai mediasi ({what}) lewat: {steps}. '
        "Diagram sendiri harus menghentikan kasus seperti ini sebelum mediasi (merujuk atau menolaknya), "
        "tanpa bergantung pada penjaga aturan hukum mesin."
    )


def _budget_message(violation: Violation) -> str:
    limit = violation.path[0].split(":", 1)[1]
    return (
        f'simulasi skenario hukum "{violation.title}" tidak dapat diselesaikan dalam batas {limit} langkah, '
        "sehingga tidak dapat dipastikan bahwa diagram tidak mencapai mediasi; versi ini ditolak. "
        "Kurangi percabangan atau perulangan diagram."
    )


def _task_title(catalog: Catalog, element: str) -> str:
    info = catalog.tasks.get(element)
    return info.title if info is not None else element


# -- building the simulation -----------------------------------------------------------------------


@cache
def _calendar() -> WorkingCalendar:
    return WorkingCalendar()


def _check(compiled: CompiledDefinition, start_data: Mapping[str, Any] | None, budget: int) -> list[Violation]:
    start_form = _violence_start_form(compiled)
    if start_form is None:
        return []
    decisions = decision_fields(compiled.xml) | set(LETTER_FIELDS)
    found = [_simulate(compiled, start_form, s, start_data, budget, decisions) for s in SCENARIOS]
    return [v for v in found if v is not None]


def simulate(
    compiled: CompiledDefinition,
    scenario: Scenario,
    *,
    start_data: Mapping[str, Any] | None = None,
    budget: int = DEFAULT_BUDGET,
) -> Violation | None:
    """The first way `scenario` reaches mediation on `compiled` (None: it never does), not cached."""
    start_form = _violence_start_form(compiled)
    if start_form is None:
        return None
    decisions = decision_fields(compiled.xml) | set(LETTER_FIELDS)
    return _simulate(compiled, start_form, scenario, start_data, budget, decisions)


def _violence_start_form(compiled: CompiledDefinition) -> Mapping[str, Any] | None:
    """The start form of a violence-case process (one that asks "jenis_kekerasan"), else None."""
    start_form = compiled.forms.get(compiled.catalog.start_form or "")
    if not start_form or "jenis_kekerasan" not in start_form.get("properties", {}):
        return None
    return start_form


def _simulate(
    compiled: CompiledDefinition,
    start_form: Mapping[str, Any],
    scenario: Scenario,
    start_data: Mapping[str, Any] | None,
    budget: int,
    decisions: set[str],
) -> Violation | None:
    truth = _fit_truth(scenario.truth(start_data), start_form)
    request = start_request(start_form, start_data, scenario, truth)
    with runtime.at(SIMULATION_MOMENT, _calendar):
        return _Search(compiled, scenario, truth, decisions, budget).run(request)


def decision_fields(xml: bytes) -> set[str]:
    """Every variable name a condition or script of the diagram reads or writes."""
    tree = parse_bpmn(xml, "conformance.bpmn")
    names: set[str] = set()
    for node in tree.getroot().iter():
        if isinstance(node.tag, str) and node.tag.rsplit("}", 1)[-1] in SCRIPT_TAGS and node.text:
            names |= _identifiers(node.text)
    return names


def _identifiers(code: str) -> set[str]:
    try:
        return {n.id for n in ast.walk(ast.parse(code.strip())) if isinstance(n, ast.Name)}
    except SyntaxError:
        return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code))


def _fit_truth(truth: Mapping[str, Any], start_form: Mapping[str, Any]) -> dict[str, Any]:
    """The truth with an ineligible category spelled as the start form spells one (when its enum has one)."""
    fitted = dict(truth)
    category = fitted.get("kategori_perkara")
    if category is not None and category not in screening.ELIGIBLE_CATEGORIES:
        options = start_form.get("properties", {}).get("kategori_perkara", {}).get("enum", [])
        ineligible = [v for v in options if v not in screening.ELIGIBLE_CATEGORIES]
        if ineligible:
            fitted["kategori_perkara"] = ineligible[0]
    return fitted


def start_request(
    start_form: Mapping[str, Any],
    base: Mapping[str, Any] | None,
    scenario: Scenario,
    truth: Mapping[str, Any],
) -> dict[str, Any]:
    """The scenario's start submission: only the fields the start form has, screening answers from `truth`."""
    props: Mapping[str, Any] = start_form.get("properties", {})
    request = BASE_REQUEST if base is None else base
    data = {}
    for name, prop in props.items():
        if name in screening.SCREENING_FIELDS and name in truth:
            data[name] = truth[name]
        elif name in scenario.request and _allowed(prop, scenario.request[name]):
            data[name] = scenario.request[name]
        elif name in request:
            data[name] = request[name]
        else:
            data[name] = default_value(prop)
    return data


def _allowed(prop: Mapping[str, Any], value: Any) -> bool:
    """Whether a value that is no screening answer fits its field's enum (a relation the form lacks is left out)."""
    options = prop.get("enum")
    return not (isinstance(value, str) and isinstance(options, list) and value not in options)


def default_value(prop: Mapping[str, Any]) -> Any:
    """A plain, valid-looking value for a form field (not checked against the schema)."""
    if "const" in prop:
        return prop["const"]
    if "default" in prop:
        return prop["default"]
    if isinstance(prop.get("enum"), list) and prop["enum"]:
        return prop["enum"][0]
    kind = _type_of(prop)
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return _least_number(prop)
    if kind == "array":
        items = prop.get("items")
        return [default_value(items if isinstance(items, dict) else {})]
    if kind == "object":
        required = set(prop.get("required", []))
        return {k: default_value(v) for k, v in prop.get("properties", {}).items() if k in required}
    return _default_text(prop)


def _type_of(prop: Mapping[str, Any]) -> str:
    kind = prop.get("type", "string")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        return str(kinds[0]) if kinds else "string"
    return str(kind)


def _least_number(prop: Mapping[str, Any]) -> int | float:
    if isinstance(prop.get("minimum"), int | float):
        return prop["minimum"]
    if isinstance(prop.get("exclusiveMinimum"), int | float):
        return prop["exclusiveMinimum"] + 1
    return 1


def _default_text(prop: Mapping[str, Any]) -> str:
    return {
        "date": DEFAULT_DATE,
        "time": DEFAULT_TIME,
        "date-time": DEFAULT_DATETIME,
        "file": DEFAULT_FILE,
        "email": "uji@example.org",
    }.get(str(prop.get("format", "")), DEFAULT_TEXT)


def choices(prop: Mapping[str, Any]) -> list[Any]:
    """The values a decision field ranges over: its enum values, True and False, or one default."""
    if "const" in prop:
        return [prop["const"]]
    if isinstance(prop.get("enum"), list) and prop["enum"]:
        return list(prop["enum"])
    kind = _type_of(prop)
    if kind == "boolean":
        return [True, False]
    items = prop.get("items")
    if kind == "array" and isinstance(items, dict) and isinstance(items.get("enum"), list):
        return [[], *([v] for v in items["enum"])]
    return [default_value(prop)]


def combinations(pools: Sequence[Sequence[Any]], cap: int = MAX_COMBINATIONS) -> list[tuple[Any, ...]]:
    """At most `cap` combinations of one value from each pool, deterministic, every value in at least one.

    All of them when there are few enough; otherwise the "diagonal" combinations (the i-th value of
    every pool, cycling) first, then the rest in product order.
    """
    total = 1
    for pool in pools:
        total *= len(pool)
    if total <= cap:
        return list(itertools.product(*pools))
    width = max(len(p) for p in pools)
    candidates = itertools.chain((tuple(p[i % len(p)] for p in pools) for i in range(width)), itertools.product(*pools))
    picked: dict[str, tuple[Any, ...]] = {}
    for combo in candidates:
        picked.setdefault(json.dumps(combo, sort_keys=True, default=str), combo)
        if len(picked) >= cap:
            break
    return list(picked.values())


def submissions(
    form: Mapping[str, Any] | None, truth: Mapping[str, Any], decisions: Iterable[str]
) -> list[dict[str, Any]]:
    """The candidate submissions of a task's form: truth for screening, decision fields enumerated, defaults."""
    props: Mapping[str, Any] = (form or {}).get("properties", {})
    deciding = set(decisions)
    fixed: dict[str, Any] = {}
    varying: list[tuple[str, list[Any]]] = []
    for name, prop in props.items():
        if name in screening.SCREENING_FIELDS and name in truth:
            fixed[name] = truth[name]
        elif name in deciding:
            varying.append((name, choices(prop)))
        else:
            fixed[name] = default_value(prop)
    names = [n for n, _ in varying]
    return [{**fixed, **dict(zip(names, combo, strict=True))} for combo in combinations([v for _, v in varying])]


# -- the search ------------------------------------------------------------------------------------


class _OutOfBudget(Exception):
    """The search visited more states than its budget allows."""


class _Search:
    """The depth-first search of one scenario over one compiled version."""

    def __init__(
        self,
        compiled: CompiledDefinition,
        scenario: Scenario,
        truth: Mapping[str, Any],
        decisions: set[str],
        budget: int,
    ) -> None:
        self.compiled = compiled
        self.catalog = compiled.catalog
        self.scenario = scenario
        self.truth = truth
        self.decisions = decisions
        self.relevant = sorted(decisions | set(screening.SCREENING_FIELDS))
        self.budget = budget
        self.nodes = 0
        self.seen: set[str] = set()
        self.forms: dict[str, list[dict[str, Any]]] = {}

    def run(self, request: Mapping[str, Any]) -> Violation | None:
        """The first violation of the scenario, or None when no branch reaches mediation."""
        try:
            workflow = runtime.start_workflow(self.compiled.specs, request)
        except MediasiError:
            return None
        element = self._mediating(workflow, set())
        if element is not None:
            return self._violation(element, ())
        try:
            return self._explore(workflow)
        except _OutOfBudget:
            return self._violation("", (f"{BUDGET_MARK}:{self.budget}",))

    def _violation(self, element: str, path: tuple[str, ...]) -> Violation:
        return Violation(self.scenario.name, self.scenario.title, element, path)

    def _explore(self, start: BpmnWorkflow) -> Violation | None:
        stack: list[tuple[BpmnWorkflow, tuple[str, ...]]] = [(start, ())]
        while stack:
            workflow, path = stack.pop()
            ready = runtime.ready_user_tasks(workflow)
            if workflow.completed or not ready or not self._first_visit(workflow, ready):
                continue
            children: list[tuple[BpmnWorkflow, tuple[str, ...]]] = []
            for child, data in self._branches(workflow, ready[0]):
                step = (*path, ready[0].task_spec.name)
                before = {t.id for t in child.get_tasks(state=TaskState.COMPLETED)}
                try:
                    runtime.complete_user_task(child, ready[0].id, data)
                except MediasiError:
                    continue  # an engine error is a dead branch
                element = self._mediating(child, before)
                if element is not None:
                    return self._violation(element, step)
                children.append((child, step))
            stack.extend(reversed(children))
        return None

    def _branches(self, workflow: BpmnWorkflow, task: Task) -> Iterable[tuple[BpmnWorkflow, dict[str, Any]]]:
        """A workflow of its own for every candidate submission of `task` (the last one reuses `workflow`)."""
        options = self._submissions(task.task_spec.name)
        state = runtime.dump_state(workflow) if len(options) > 1 else b""
        for i, data in enumerate(options):
            self.nodes += 1
            if self.nodes > self.budget:
                raise _OutOfBudget
            yield (workflow if i == len(options) - 1 else runtime.load_state(self.compiled.specs, state)), data

    def _submissions(self, element: str) -> list[dict[str, Any]]:
        if element not in self.forms:
            info = self.catalog.tasks.get(element)
            form = self.compiled.forms.get(info.form) if info is not None and info.form else None
            self.forms[element] = submissions(form, self.truth, self.decisions)
        return self.forms[element]

    def _first_visit(self, workflow: BpmnWorkflow, ready: Sequence[Task]) -> bool:
        """Whether no state with the same waiting tasks and decision-relevant data was explored yet."""
        waiting = sorted(t.task_spec.name for t in workflow.get_tasks(state=TaskState.WAITING))
        tasks = [[t.task_spec.name, {k: t.data[k] for k in self.relevant if k in t.data}] for t in ready]
        signature = json.dumps([waiting, tasks], sort_keys=True, default=str)
        if signature in self.seen:
            return False
        self.seen.add(signature)
        return True

    def _mediating(self, workflow: BpmnWorkflow, before: set[Any]) -> str | None:
        """The element whose step reached mediation (a mediation letter or a "mediated" end), or None."""
        letters, outcome = step_effects(self.catalog, workflow, before)
        if outcome != MEDIATED and not any(k in MEDIATION_LETTERS for k in letters):
            return None
        passed = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.id not in before]
        for task in passed:
            kinds = self.catalog.letters.get(task.task_spec.name, ())
            if any(k in MEDIATION_LETTERS and k in KINDS and KINDS[k].when(task.data) for k in kinds):
                return str(task.task_spec.name)
        for task in passed:
            if self.catalog.outcomes.get(task.task_spec.name) == MEDIATED:
                return str(task.task_spec.name)
        return ""


def form_problems(compiled: CompiledDefinition, filename: str) -> list[Problem]:
    """Forms that ask what a legal rule reads but lack the fields the rule needs beside it.

    Such a form could never satisfy the rule (engine.legal.rules.COMPANIONS), and a form that asks a
    screening answer after the request must let a correction carry its reason code and text.
    """
    found = []
    start = compiled.catalog.start_form
    for name, schema in sorted(compiled.forms.items()):
        properties = schema.get("properties", {})
        for key, absent in rules.missing_companions(properties).items():
            found.append(
                Problem(name, None, f"formulir yang menanyakan {key!r} wajib memuat juga: {', '.join(absent)}")
            )
        asks = [f for f in screening.SCREENING_FIELDS if f in properties]
        needed = [f for f in (rules.CORRECTION_CODE, rules.CORRECTION_REASON) if f not in properties]
        if name != start and asks and needed:
            found.append(
                Problem(
                    name,
                    None,
                    f"formulir menanyakan jawaban skrining ({', '.join(asks)}) sesudah permohonan, jadi wajib memuat "
                    f"{', '.join(needed)} untuk koreksi yang dikonfirmasi Kepala Dinas",
                )
            )
    return [Problem(filename, p.line, f"{p.file}: {p.message}") for p in found]


def ensure_lawful(compiled: CompiledDefinition, xml: bytes, filename: str) -> None:
    """Refuse (DeploymentInvalid) a version whose forms or diagram could let a non-mediable case be mediated."""
    found = form_problems(compiled, filename) or problems(compiled, xml, filename)
    if found:
        raise DeploymentInvalid(found)


def reachable_from(
    compiled: CompiledDefinition, workflow: BpmnWorkflow, answers: Mapping[str, Any], *, budget: int = DEFAULT_BUDGET
) -> Violation | None:
    """Whether a running case, with its recorded screening `answers` held fixed, can reach mediation on `compiled`.

    For a migration's dry run: `workflow` is the case's workflow already moved onto the version; it is
    copied, never changed. Answers not recorded yet take the mediable defaults, as in the scenarios.
    """
    people = ("korban", "terlapor")  # the record keeps whether they are children, not the people
    truth = {**BASE_ANSWERS, **{k: v for k, v in answers.items() if k not in people}}
    scenario = Scenario("kasus_berjalan", "Kasus ini", {}, {})
    decisions = decision_fields(compiled.xml) | set(LETTER_FIELDS)
    copied = runtime.load_state(compiled.specs, runtime.dump_state(workflow))
    with runtime.at(SIMULATION_MOMENT, _calendar):
        search = _Search(compiled, scenario, truth, decisions, budget)
        try:
            return search._explore(copied)
        except _OutOfBudget:
            return search._violation("", (f"{BUDGET_MARK}:{budget}",))
