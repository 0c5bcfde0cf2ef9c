"""Parse untrusted BPMN XML safely: no DTD, no entities, no network, bounded size."""

from __future__ import annotations

from lxml import etree

from engine.errors import DeploymentInvalid, Problem

MAX_BPMN_BYTES = 5 * 1024 * 1024

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def parse_bpmn(data: bytes, filename: str) -> etree._ElementTree:
    """Parse `data`, refusing anything that is not plain XML: a DOCTYPE, entities, or a huge file."""
    if len(data) > MAX_BPMN_BYTES:
        raise DeploymentInvalid([Problem(filename, None, f"berkas melebihi {MAX_BPMN_BYTES // 1024 // 1024} MB")])
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or (exc.position[0] if exc.position else None)
        raise DeploymentInvalid([Problem(filename, line, f"XML tidak valid: {exc.msg}")]) from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise DeploymentInvalid([Problem(filename, 1, "DOCTYPE dan entitas XML tidak diizinkan dalam BPMN")])
    if tree.getroot().tag != f"{{{NS['bpmn']}}}definitions":
        raise DeploymentInvalid([Problem(filename, tree.getroot().sourceline, "elemen akar harus bpmn:definitions")])
    return tree
