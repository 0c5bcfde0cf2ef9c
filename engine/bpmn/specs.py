"""Turn a parsed diagram into SpiffWorkflow specs (the parser is configured once, here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser


@dataclass(frozen=True)
class ProcessSpecs:
    """The executable spec of one process and of the subprocesses it contains."""

    spec: Any
    subprocess_specs: dict[str, Any]


def parse_specs(tree: etree._ElementTree, key: str, filename: str) -> ProcessSpecs:
    """Parse `tree` (already XSD-checked) and return the specs of process `key`.

    :raises SpiffWorkflow.bpmn.parser.ValidationException: when the diagram cannot run.
    """
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(tree, filename=filename)
    return ProcessSpecs(parser.get_spec(key), parser.get_subprocess_specs(key))
