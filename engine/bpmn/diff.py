"""What changed between two versions of a diagram, element by element (by BPMN id).

Every element that carries meaning is compared: flow nodes, sequence and message flows, lanes,
participants, data objects and stores, signals, messages. An element is "changed" when anything
that affects how the process runs or reads changes: its type, name, documentation, container,
lane, condition, script, form and other extension properties, event definitions (timers,
signals), incoming and outgoing flows. Layout (BPMN DI) never makes an element "changed"; an
element whose shape or edge alone moved is listed as "moved". Pure: no database, no SpiffWorkflow.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.bpmn.xml import NS, parse_bpmn

BPMN = NS["bpmn"]
BPMNDI = NS["bpmndi"]
SPIFF = NS["spiffworkflow"]

FLOW_NODES = frozenset(
    {
        "task",
        "userTask",
        "manualTask",
        "scriptTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "callActivity",
        "subProcess",
        "transaction",
        "adHocSubProcess",
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "exclusiveGateway",
        "inclusiveGateway",
        "parallelGateway",
        "eventBasedGateway",
        "complexGateway",
    }
)
TRACKED = FLOW_NODES | {
    "process",
    "collaboration",
    "participant",
    "messageFlow",
    "sequenceFlow",
    "association",
    "lane",
    "dataObject",
    "dataObjectReference",
    "dataStore",
    "dataStoreReference",
    "signal",
    "message",
    "error",
    "escalation",
    "textAnnotation",
}
CONTAINERS = frozenset({"process", "subProcess", "transaction", "adHocSubProcess", "collaboration"})
# Children that are described by other facts (flows, lanes) or are elements of their own.
_SKIPPED_CHILDREN = frozenset(
    {"incoming", "outgoing", "flowNodeRef", "childLaneSet", "laneSet", "documentation", "extensionElements"}
)
_DESCRIBED_ATTRIBUTES = frozenset({"id", "name", "sourceRef", "targetRef", "default"})
# Facts whose values are too long to quote: the description only says they changed.
_LONG = frozenset({"dokumentasi", "skrip"})
# Well-known extension properties, by the name a process owner knows them by.
_PROPERTY_LABELS = {
    "formJsonSchemaFilename": "formulir",
    "candidateGroups": "kelompok kandidat",
    "outcome": "hasil",
    "caseFacts": "fakta kasus",
    "casePrefix": "awalan nomor kasus",
    "assignee": "penerima tugas",
}


@dataclass(frozen=True)
class ElementDiff:
    """One element that was added, removed, changed or moved."""

    id: str
    type: str
    name: str | None
    changes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "name": self.name, "changes": list(self.changes)}


@dataclass(frozen=True)
class VersionDiff:
    """Elements added, removed and changed between two versions; `moved` ones changed layout only."""

    added: list[ElementDiff] = field(default_factory=list)
    removed: list[ElementDiff] = field(default_factory=list)
    changed: list[ElementDiff] = field(default_factory=list)
    moved: list[ElementDiff] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def marks(self) -> dict[str, dict[str, str]]:
        """Colour classes per element id, for the old and the new diagram."""
        old: dict[str, str] = {e.id: "moved" for e in self.moved}
        new = dict(old)
        old |= {e.id: "removed" for e in self.removed} | {e.id: "changed" for e in self.changed}
        new |= {e.id: "added" for e in self.added} | {e.id: "changed" for e in self.changed}
        return {"old": old, "new": new}

    def as_json(self) -> dict[str, Any]:
        return {
            "added": [e.as_json() for e in self.added],
            "removed": [e.as_json() for e in self.removed],
            "changed": [e.as_json() for e in self.changed],
            "moved": [e.as_json() for e in self.moved],
            "marks": self.marks(),
        }


def diff_versions(
    old_xml: str | bytes, new_xml: str | bytes, *, notes: Mapping[str, Sequence[str]] | None = None
) -> VersionDiff:
    """Compare two diagrams by element id.

    `notes` adds changes the diagram itself does not show (a form's content, a lane's roles) to
    elements present in both versions.
    """
    old, new = _Diagram(old_xml, "lama.bpmn"), _Diagram(new_xml, "baru.bpmn")
    added = [new.describe(i) for i in sorted(new.facts.keys() - old.facts.keys())]
    removed = [old.describe(i) for i in sorted(old.facts.keys() - new.facts.keys())]
    changed, moved = [], []
    for element_id in sorted(old.facts.keys() & new.facts.keys()):
        changes = _changes(old, new, element_id) + list((notes or {}).get(element_id, ()))
        if changes:
            changed.append(new.describe(element_id, changes))
        if old.layout.get(element_id) != new.layout.get(element_id):
            moved.append(new.describe(element_id))
    return VersionDiff(added, removed, changed, moved)


class _Diagram:
    """One parsed diagram: the facts of each tracked element, and its layout."""

    def __init__(self, xml: str | bytes, filename: str) -> None:
        data = xml.encode() if isinstance(xml, str) else xml
        root = parse_bpmn(data, filename).getroot()
        self.elements: dict[str, etree._Element] = {}
        for node in root.iter(f"{{{BPMN}}}*"):
            if etree.QName(node).localname in TRACKED and node.get("id"):
                self.elements.setdefault(str(node.get("id")), node)
        self.lanes = _lane_of_nodes(self.elements.values())
        self.flows = _flows_by_node(self.elements.values())
        self.facts = {i: self._facts(node) for i, node in self.elements.items()}
        self.layout = _layout(root)

    def describe(self, element_id: str, changes: Iterable[str] = ()) -> ElementDiff:
        node = self.elements[element_id]
        return ElementDiff(element_id, etree.QName(node).localname, node.get("name"), tuple(changes))

    def lane_name(self, lane_id: str | None) -> str | None:
        lane = self.elements.get(lane_id) if lane_id else None
        return (lane.get("name") or lane_id) if lane is not None else None

    def _facts(self, node: etree._Element) -> dict[str, Any]:
        kind = etree.QName(node).localname
        facts: dict[str, Any] = {
            "jenis": kind,
            "nama": node.get("name"),
            "dokumentasi": _documentation(node),
            "wadah": _container(node),
        }
        for attribute, value in node.attrib.items():
            name = etree.QName(attribute)
            if name.localname not in _DESCRIBED_ATTRIBUTES or name.namespace:
                facts[f"atribut {_prefixed(name)}"] = value
        if kind in {"sequenceFlow", "messageFlow", "association"}:
            facts |= {"asal": node.get("sourceRef"), "tujuan": node.get("targetRef")}
            facts["kondisi"] = _text(node.find(f"{{{BPMN}}}conditionExpression"))
        if kind in FLOW_NODES:
            incoming, outgoing = self.flows.get(str(node.get("id")), (set(), set()))
            facts |= {"alur masuk": tuple(sorted(incoming)), "alur keluar": tuple(sorted(outgoing))}
            facts["alur bawaan"] = node.get("default")
            facts["lajur"] = self.lanes.get(str(node.get("id")))
        facts["skrip"] = _script(node)
        facts |= _extensions(node)
        facts |= _children(node)
        return {k: v for k, v in facts.items() if v not in (None, "", ())}


def _changes(old: _Diagram, new: _Diagram, element_id: str) -> list[str]:
    before, after = old.facts[element_id], new.facts[element_id]
    changes = []
    for label in sorted(before.keys() | after.keys(), key=_fact_order):
        a, b = before.get(label), after.get(label)
        if a == b:
            continue
        if label == "lajur":
            a, b = old.lane_name(a), new.lane_name(b)
        changes.append(_describe_change(label, a, b))
    return changes


_ORDER = ["jenis", "nama", "wadah", "lajur", "formulir", "kondisi", "timer", "skrip", "alur masuk", "alur keluar"]


def _fact_order(label: str) -> tuple[int, str]:
    return (_ORDER.index(label) if label in _ORDER else len(_ORDER), label)


def _describe_change(label: str, before: Any, after: Any) -> str:
    if label in _LONG or label.startswith(("ekstensi ", "isi ")):
        if before is None:
            return f"{label} ditambahkan"
        return f"{label} dihapus" if after is None else f"{label} berubah"
    if label.startswith("alur ") and label != "alur bawaan":
        gained = sorted(set(after or ()) - set(before or ()))
        lost = sorted(set(before or ()) - set(after or ()))
        parts = ([f"ditambah {', '.join(gained)}"] if gained else []) + ([f"dihapus {', '.join(lost)}"] if lost else [])
        return f"{label}: {'; '.join(parts)}"
    return f"{label}: {_quote(before)} → {_quote(after)}"


def _quote(value: Any) -> str:
    if value is None:
        return "(tidak ada)"
    text = " ".join(str(value).split())
    return f'"{text[:77]}…"' if len(text) > 80 else f'"{text}"'


def _prefixed(name: etree.QName) -> str:
    prefix = next((p for p, uri in NS.items() if uri == name.namespace), None)
    return f"{prefix}:{name.localname}" if prefix else name.localname


def _documentation(node: etree._Element) -> str | None:
    texts = [" ".join((d.text or "").split()) for d in node.findall(f"{{{BPMN}}}documentation")]
    return "\n".join(t for t in texts if t) or None


def _container(node: etree._Element) -> str | None:
    for ancestor in node.iterancestors():
        if etree.QName(ancestor).localname in CONTAINERS and ancestor.get("id"):
            return str(ancestor.get("id"))
    return None


def _text(node: etree._Element | None) -> str | None:
    if node is None:
        return None
    return (node.text or "").strip() or None


def _script(node: etree._Element) -> str | None:
    script = node.find(f"{{{BPMN}}}script")
    if script is None:
        return None
    return textwrap.dedent(script.text or "").strip() or None


def _extensions(node: etree._Element) -> dict[str, Any]:
    """Extension properties by their own names; any other extension element as canonical text."""
    facts: dict[str, Any] = {}
    extensions = node.find(f"{{{BPMN}}}extensionElements")
    if extensions is None:
        return facts
    for child in extensions:
        if not isinstance(child.tag, str):
            continue
        if etree.QName(child).localname == "properties":
            for prop in child:
                if isinstance(prop.tag, str) and prop.get("name"):
                    name = str(prop.get("name"))
                    facts[_PROPERTY_LABELS.get(name, f"properti {name}")] = prop.get("value")
        else:
            facts[f"ekstensi {_prefixed(etree.QName(child))}"] = _canonical(child)
    return facts


def _children(node: etree._Element) -> dict[str, Any]:
    """Event definitions (timers above all), loops, data associations: any other child, canonically."""
    facts: dict[str, Any] = {}
    for child in node:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child)
        if name.namespace != BPMN or name.localname in _SKIPPED_CHILDREN | TRACKED:
            continue
        if name.localname in {"conditionExpression", "script"}:
            continue
        if name.localname == "timerEventDefinition":
            facts["timer"] = " ".join(
                f"{etree.QName(t).localname}={(t.text or '').strip()}" for t in child if isinstance(t.tag, str)
            )
        elif name.localname.endswith("EventDefinition"):
            refs = {k: v for k, v in child.attrib.items() if k != "id"}
            facts[f"peristiwa {name.localname}"] = " ".join(f"{k}={v}" for k, v in sorted(refs.items())) or "ya"
        else:
            facts[f"isi {name.localname}"] = (facts.get(f"isi {name.localname}") or ()) + (_canonical(child),)
    return facts


def _canonical(node: etree._Element) -> tuple[Any, ...]:
    """A comparable form of a subtree: tag, attributes (ids aside), text and children."""
    attributes = tuple(sorted((k, v) for k, v in node.attrib.items() if k != "id"))
    children = tuple(_canonical(c) for c in node if isinstance(c.tag, str))
    return (str(node.tag), attributes, (node.text or "").strip(), children)


def _lane_of_nodes(elements: Iterable[etree._Element]) -> dict[str, str]:
    """The innermost lane of every flow node that a lane lists."""
    lanes: dict[str, tuple[str, int]] = {}
    for element in elements:
        if etree.QName(element).localname != "lane":
            continue
        depth = sum(1 for a in element.iterancestors() if etree.QName(a).localname == "lane")
        for ref in element.findall(f"{{{BPMN}}}flowNodeRef"):
            node_id = (ref.text or "").strip()
            if node_id and (node_id not in lanes or depth >= lanes[node_id][1]):
                lanes[node_id] = (str(element.get("id")), depth)
    return {node_id: lane for node_id, (lane, _) in lanes.items()}


def _flows_by_node(elements: Iterable[etree._Element]) -> dict[str, tuple[set[str], set[str]]]:
    """The sequence flows into and out of each flow node, from the flows themselves."""
    flows: dict[str, tuple[set[str], set[str]]] = {}
    for element in elements:
        if etree.QName(element).localname != "sequenceFlow":
            continue
        flow_id = str(element.get("id"))
        flows.setdefault(str(element.get("targetRef")), (set(), set()))[0].add(flow_id)
        flows.setdefault(str(element.get("sourceRef")), (set(), set()))[1].add(flow_id)
    return flows


def _layout(root: etree._Element) -> dict[str, tuple[Any, ...]]:
    """Each element's shapes and edges (bounds, waypoints, labels), by element id."""
    layout: dict[str, tuple[Any, ...]] = {}
    for kind in ("BPMNShape", "BPMNEdge"):
        for shape in root.iter(f"{{{BPMNDI}}}{kind}"):
            element = shape.get("bpmnElement")
            if element:
                layout[element] = (*layout.get(element, ()), _canonical(shape))
    return layout
