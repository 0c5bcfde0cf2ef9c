"""The deploy validator: everything that must hold before a diagram may run.

It reports every problem it finds as `file:line: message` and deploys nothing if there is one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SPIFF_XSD

from engine.bpmn.catalog import Catalog, TaskInfo
from engine.bpmn.expressions import check_expressions
from engine.bpmn.specs import ProcessSpecs, parse_specs
from engine.bpmn.xml import NS, parse_bpmn
from engine.errors import DeploymentInvalid, Problem
from engine.forms import FormSchemaError, check_form_schema
from engine.letters.kinds import KINDS, parse_declaration
from engine.roles import APPLICANT, ROLE_NAMES, STAFF_LANE_ROLES
from engine.sla import parse_clock_specs, parse_task_due

FormSource = Callable[[str], bytes | None]
LaneRoles = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class CompiledDefinition:
    """A diagram that passed every check, with what is stored beside it."""

    key: str
    name: str
    xml: bytes
    sha256: str
    forms: dict[str, dict[str, Any]]
    lane_roles: dict[str, list[str]]
    catalog: Catalog
    specs: ProcessSpecs = field(repr=False, compare=False)

    @property
    def content_hash(self) -> str:
        """Identity of everything that makes a version: diagram, forms and lane mapping."""
        blob = json.dumps([self.sha256, self.forms, self.lane_roles], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()


def _lane_roles_problem(lane: str, roles: Sequence[str]) -> str | None:
    """Why a lane's roles may not be deployed: unknown, or not roles that work cases' tasks."""
    unknown = [r for r in roles if r not in ROLE_NAMES and r != APPLICANT]
    if unknown:
        return f"peta lajur-peran untuk {lane!r} memuat peran tidak dikenal: {', '.join(unknown)}"
    if APPLICANT in roles and len(roles) > 1:
        return f"lajur pemohon {lane!r} hanya boleh berisi 'applicant', tanpa peran lain"
    refused = [r for r in roles if r != APPLICANT and r not in STAFF_LANE_ROLES]
    if refused:
        allowed = ", ".join(sorted(STAFF_LANE_ROLES))
        return (
            f"peran {', '.join(refused)} tidak boleh mengerjakan lajur {lane!r}; "
            f"lajur staf hanya untuk {allowed}, lajur pemohon hanya untuk applicant"
        )
    return None


@cache
def _xsd() -> BpmnValidator:
    return BpmnValidator(imports={"spiffworkflow": SPIFF_XSD})


def executable_process_id(tree: etree._ElementTree, filename: str) -> str:
    """Return the id of the one process in `tree` that runs."""
    processes = tree.getroot().xpath("bpmn:process", namespaces=NS)
    executable = [p for p in processes if p.get("isExecutable", "false") == "true"] or processes
    if len(executable) != 1:
        raise DeploymentInvalid(
            [
                Problem(
                    filename,
                    1,
                    "diagram harus memuat tepat satu proses yang dapat "
                    f'dijalankan (isExecutable="true"); ditemukan {len(executable)}',
                )
            ]
        )
    return str(executable[0].get("id"))


def compile_definition(xml: bytes, filename: str, forms: FormSource, lane_roles: LaneRoles) -> CompiledDefinition:
    """Check `xml` completely and return what a deployment stores.

    :raises DeploymentInvalid: with every problem found.
    """
    tree = parse_bpmn(xml, filename)
    _check_xsd(tree, filename)
    key = executable_process_id(tree, filename)
    problems = [Problem(filename, p.line, p.message, p.element) for p in check_expressions(tree.getroot())]
    try:
        specs = parse_specs(tree, key, filename)
    except ValidationException as exc:
        problems.append(_spiff_problem(tree, filename, exc))
        raise DeploymentInvalid(problems) from None
    problems.extend(_dry_run(tree, filename, specs))
    reader = _DiagramReader(tree, filename, specs, forms, lane_roles)
    catalog = reader.catalog(key)
    problems.extend(reader.problems)
    if problems:
        raise DeploymentInvalid(problems)
    return CompiledDefinition(
        key=key,
        name=catalog.name,
        xml=xml,
        sha256=hashlib.sha256(xml).hexdigest(),
        forms=reader.forms,
        lane_roles=reader.used_lane_roles,
        catalog=catalog,
        specs=specs,
    )


def _spiff_problem(tree: etree._ElementTree, filename: str, exc: ValidationException) -> Problem:
    found = tree.getroot().xpath("//*[@id=$id]", id=exc.id) if exc.id else []
    line = found[0].sourceline if found else None
    return Problem(filename, line, f"BPMN tidak dapat dijalankan: {exc.args[0]}", exc.id or None)


def _dry_run(tree: etree._ElementTree, filename: str, specs: ProcessSpecs) -> Iterable[Problem]:
    """Instantiate the process and each subprocess as a case start would, without running a step.

    SpiffWorkflow parses some diagrams it cannot start (a start event with the id `Start` takes the
    place of its own start task); those would fail every case, so they are refused here.
    """
    for spec in (specs.spec, *specs.subprocess_specs.values()):
        try:
            BpmnWorkflow(spec, specs.subprocess_specs)
        except Exception as exc:  # noqa: BLE001 - whatever the engine raises, the diagram cannot start
            yield _start_problem(tree, filename, spec, exc)


def _start_problem(tree: etree._ElementTree, filename: str, spec: Any, exc: Exception) -> Problem:
    """Locate a failed start: the element of the task spec at fault, else the process or subprocess."""
    failed = getattr(getattr(exc, "task_spec", None), "name", None)
    root = tree.getroot()
    found = (root.xpath("//*[@id=$id]", id=failed) if failed else []) or root.xpath("//*[@id=$id]", id=spec.name)
    element = found[0] if found else root
    message = str(exc).strip().rstrip(".") or type(exc).__name__
    if element.get("id") in (*ENGINE_SPEC_NAMES, f"{spec.name}.EndJoin"):
        message += f"; id {element.get('id')!r} dipakai oleh mesin, ganti id elemen ini"
    return Problem(
        filename, element.sourceline, f"proses tidak dapat dijalankan oleh mesin: {message}", element.get("id")
    )


ENGINE_SPEC_NAMES = ("Start", "End")  # task specs SpiffWorkflow adds to every process spec


def _check_xsd(tree: etree._ElementTree, filename: str) -> None:
    validator = _xsd()
    validator.preprocess(tree)
    if validator.validator.validate(tree):
        return
    problems = [
        Problem(filename, err.line, f"melanggar skema BPMN 2.0 (XSD): {err.message}")
        for err in validator.validator.error_log
    ]
    raise DeploymentInvalid(problems)


class _DiagramReader:
    """Reads lanes, forms, roles and outcomes of a parsed diagram, collecting problems."""

    def __init__(
        self, tree: etree._ElementTree, filename: str, specs: ProcessSpecs, forms: FormSource, lane_roles: LaneRoles
    ) -> None:
        self.tree = tree
        self.filename = filename
        self.specs = specs
        self.form_source = forms
        self.lane_roles = {name: list(roles) for name, roles in lane_roles.items()}
        self.problems: list[Problem] = []
        self.forms: dict[str, dict[str, Any]] = {}
        self.used_lane_roles: dict[str, list[str]] = {}

    def catalog(self, key: str) -> Catalog:
        process = self._element(key)
        self._check_lanes()
        start_element, start_form = self._start_form(process)
        return Catalog(
            key=key,
            name=process.get("name") or key,
            case_prefix=self._case_prefix(process),
            start_element=start_element,
            start_form=start_form,
            tasks={info.element: info for info in self._user_tasks()},
            outcomes=dict(self._outcomes()),
            signals=tuple(
                sorted({str(s.get("name")) for s in self.tree.getroot().xpath("bpmn:signal", namespaces=NS)})
            ),
            letters=dict(self._letters()),
            notices=dict(self._notices()),
        )

    # -- lanes and roles -------------------------------------------------------------------------

    def _check_lanes(self) -> None:
        for lane in self.tree.getroot().xpath("//bpmn:lane", namespaces=NS):
            name = lane.get("name") or ""
            roles = self.lane_roles.get(name)
            if not roles:
                self._problem(lane, f"tidak ada peran yang mengerjakan lajur {name!r}; tambahkan pada peta lajur-peran")
                continue
            problem = _lane_roles_problem(name, roles)
            if problem:
                self._problem(lane, problem)
            self.used_lane_roles[name] = list(roles)

    def _roles_for(self, node: etree._Element, lane: str | None, props: Mapping[str, str]) -> tuple[str, ...]:
        lane_roles = self.used_lane_roles.get(lane or "", [])
        candidates = props.get("candidateGroups") or node.get(f"{{{NS['camunda']}}}candidateGroups")
        if not candidates:
            return tuple(lane_roles)
        narrowed = tuple(c.strip() for c in candidates.split(",") if c.strip())
        outside = [c for c in narrowed if c not in lane_roles]
        if outside:
            self._problem(
                _property_node(node, "candidateGroups"),
                f"candidateGroups {', '.join(outside)} tidak mengerjakan lajur {lane!r}",
            )
        return narrowed

    # -- tasks, forms, outcomes ------------------------------------------------------------------

    def _all_task_specs(self) -> Iterable[Any]:
        yield from self.specs.spec.task_specs.values()
        for sub in self.specs.subprocess_specs.values():
            yield from sub.task_specs.values()

    def _user_tasks(self) -> Iterable[TaskInfo]:
        for spec in self._all_task_specs():
            if not getattr(spec, "manual", False):
                continue
            node = self._element(spec.name)
            props = _properties(node)
            if spec.lane is None:
                self._problem(node, f"tugas pengguna {spec.bpmn_name or spec.name!r} tidak berada di lajur mana pun")
                continue
            roles = self._roles_for(node, spec.lane, props)
            form = self._form_of(node, props, required=True)
            assignee = self._assignee_of(node, props)
            sla_start, sla_stop, sla_due = self._sla_of(node, props)
            yield TaskInfo(
                element=spec.name,
                title=spec.bpmn_name or spec.name,
                lane=spec.lane,
                roles=tuple(r for r in roles if r != APPLICANT),
                for_applicant=APPLICANT in roles,
                form=form or "",
                documentation=(spec.documentation or "").strip(),
                facts=tuple(f.strip() for f in props.get("caseFacts", "").split(",") if f.strip()),
                assignee=assignee,
                sla_start=sla_start,
                sla_stop=sla_stop,
                sla_due=sla_due,
            )

    def _sla_of(self, node: etree._Element, props: Mapping[str, str]) -> tuple[str, tuple[str, ...], str]:
        """A task's slaStart, slaStop and slaDue properties, checked (see engine.sla)."""
        start, due = props.get("slaStart", "").strip(), props.get("slaDue", "").strip()
        stop = tuple(props.get("slaStop", "").split())
        try:
            if start:
                parse_clock_specs(start)
        except ValueError as exc:
            self._problem(_property_node(node, "slaStart"), str(exc))
            start = ""
        try:
            if due:
                parse_task_due(due)
        except ValueError as exc:
            self._problem(_property_node(node, "slaDue"), str(exc))
            due = ""
        bad = [name for name in stop if not name.isidentifier()]
        if bad:
            self._problem(_property_node(node, "slaStop"), f"slaStop memuat nama jam tidak valid: {', '.join(bad)}")
            stop = ()
        return start, stop, due

    def _notices(self) -> Iterable[tuple[str, tuple[str, ...]]]:
        """Who is told when a step passes an element (its `notifyRoles` property): escalations."""
        for node in self.tree.getroot().xpath(_DECLARES_NOTICES, namespaces=NS):
            roles = tuple(r.strip() for r in _properties(node)[NOTICE_PROPERTY].split(",") if r.strip())
            unknown = [r for r in roles if r not in ROLE_NAMES]
            if unknown or not roles:
                self._problem(
                    _property_node(node, NOTICE_PROPERTY),
                    f"notifyRoles menyebut peran yang tidak dikenal: {', '.join(unknown) or '(kosong)'}",
                )
            else:
                yield str(node.get("id")), roles

    def _assignee_of(self, node: etree._Element, props: Mapping[str, str]) -> str:
        """camunda:assignee (or an `assignee` property): a plain user name; expressions are refused."""
        assignee = (props.get("assignee") or node.get(f"{{{NS['camunda']}}}assignee") or "").strip()
        if not assignee:
            return ""
        if "${" in assignee or "#{" in assignee:
            self._problem(
                _property_node(node, "assignee"),
                f"assignee {assignee!r} memakai ekspresi JUEL Camunda; tulis nama pengguna, atau kosongkan "
                "agar tugas terbuka bagi lajurnya",
            )
            return ""
        if not re.fullmatch(r"[A-Za-z0-9._@-]{1,64}", assignee):
            self._problem(_property_node(node, "assignee"), f"assignee {assignee!r} bukan nama pengguna yang sah")
            return ""
        return assignee

    def _start_form(self, process: etree._Element) -> tuple[str, str | None]:
        starts = [s for s in process.xpath("bpmn:startEvent", namespaces=NS) if not _event_definitions(s)]
        if len(starts) != 1:
            self._problem(process, "proses harus memiliki tepat satu peristiwa mulai biasa (tanpa pemicu)")
            return "", None
        return str(starts[0].get("id")), self._form_of(starts[0], _properties(starts[0]), required=False)

    def _form_of(self, node: etree._Element, props: Mapping[str, str], *, required: bool) -> str | None:
        name = props.get("formJsonSchemaFilename") or node.get(f"{{{NS['camunda']}}}formKey")
        if not name:
            if required:
                self._problem(
                    node,
                    "tugas pengguna harus menyebut formulirnya (properti formJsonSchemaFilename atau camunda:formKey)",
                )
            return None
        if name not in self.forms:
            self._load_form(_property_node(node, "formJsonSchemaFilename"), name)
        return name

    def _load_form(self, node: etree._Element, name: str) -> None:
        try:
            raw = self.form_source(name)
        except ValueError as exc:
            self._problem(node, f"nama formulir tidak sah {name!r}: {exc}")
            return
        if raw is None:
            self._problem(node, f"formulir {name!r} tidak ditemukan")
            return
        try:
            self.forms[name] = check_form_schema(raw)
        except FormSchemaError as exc:
            self._problem(node, f"formulir {name!r} tidak valid: {exc}")

    def _outcomes(self) -> Iterable[tuple[str, str]]:
        for spec in self._all_task_specs():
            if isinstance(spec, EndEvent):
                outcome = _properties(self._element(spec.name)).get("outcome")
                if outcome:
                    yield spec.name, outcome

    def _letters(self) -> Iterable[tuple[str, tuple[str, ...]]]:
        """The letters each task issues when a step passes it (its `issuesLetters` property)."""
        for node in self.tree.getroot().xpath(_DECLARES_LETTERS, namespaces=NS):
            where = _property_node(node, LETTERS_PROPERTY)
            kinds, unknown = parse_declaration(_properties(node)[LETTERS_PROPERTY])
            if not etree.QName(node).localname.endswith(("Task", "task")):
                self._problem(
                    where, "issuesLetters hanya dapat dipasang pada tugas (tugas pengguna, skrip, dan sejenisnya)"
                )
            elif unknown or not kinds:
                self._problem(
                    where,
                    f"issuesLetters menyebut jenis surat yang tidak dikenal: {', '.join(unknown) or '(kosong)'}; "
                    f"jenis yang dikenal: {', '.join(KINDS)}",
                )
            else:
                yield str(node.get("id")), kinds

    def _case_prefix(self, process: etree._Element) -> str:
        prefix = _properties(process).get("casePrefix", "MED")
        if not (prefix.isascii() and prefix.isalpha() and prefix.isupper() and 2 <= len(prefix) <= 8):
            self._problem(process, f"casePrefix {prefix!r} harus 2–8 huruf kapital")
        return prefix

    # -- helpers ----------------------------------------------------------------------------------

    def _element(self, element_id: str) -> etree._Element:
        found = self.tree.getroot().xpath("//*[@id=$id]", id=element_id)
        return found[0]

    def _problem(self, node: etree._Element, message: str) -> None:
        owner = node if node.get("id") else next((a for a in node.iterancestors() if a.get("id")), node)
        self.problems.append(Problem(self.filename, node.sourceline, message, owner.get("id")))


NOTICE_PROPERTY = "notifyRoles"
_DECLARES_NOTICES = (
    "//*[bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name='notifyRoles']"
    " or bpmn:extensionElements/camunda:properties/camunda:property[@name='notifyRoles']]"
)
LETTERS_PROPERTY = "issuesLetters"
_DECLARES_LETTERS = (
    "//*[bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name='issuesLetters']"
    " or bpmn:extensionElements/camunda:properties/camunda:property[@name='issuesLetters']]"
)


def _properties(node: etree._Element) -> dict[str, str]:
    """Spiff properties and Camunda properties of an element, by name."""
    props: dict[str, str] = {}
    for prop in node.xpath("bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NS):
        props[prop.get("name", "")] = prop.get("value", "")
    for prop in node.xpath("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS):
        props[prop.get("name", "")] = prop.get("value", "")
    return props


def _property_node(node: etree._Element, name: str) -> etree._Element:
    """The property element `name` of `node` (for its line), or `node` itself (a camunda attribute)."""
    found = node.xpath(
        "bpmn:extensionElements/*/spiffworkflow:property[@name=$n]"
        " | bpmn:extensionElements/*/camunda:property[@name=$n]",
        namespaces=NS,
        n=name,
    )
    return found[0] if found else node


def _event_definitions(node: etree._Element) -> list[etree._Element]:
    return [child for child in node if isinstance(child.tag, str) and child.tag.endswith("EventDefinition")]
