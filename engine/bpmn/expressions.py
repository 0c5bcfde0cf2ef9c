"""Find every piece of Python a diagram carries and check it before deploy."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from engine.bpmn.xml import NS
from engine.sandbox import Mode, check_source

_JUEL = re.compile(r"[$#]\{")
_ISO_8601 = re.compile(r"^R?\d*/?P(?=\d|T\d)[\dYMWDTHS.]*$|^\d{4}-\d{2}-\d{2}T?[\d:.Z+-]*$")

# (XPath, mode, what the element is called in messages)
_SOURCES: tuple[tuple[str, Mode, str], ...] = (
    (".//bpmn:conditionExpression", "eval", "kondisi"),
    (".//bpmn:completionCondition", "eval", "kondisi penyelesaian"),
    (".//bpmn:loopCardinality", "eval", "kardinalitas"),
    (".//bpmn:scriptTask/bpmn:script", "exec", "skrip"),
    (".//spiffworkflow:preScript", "exec", "pra-skrip"),
    (".//spiffworkflow:postScript", "exec", "pasca-skrip"),
    (".//bpmn:timeDuration", "eval", "ekspresi timer"),
    (".//bpmn:timeDate", "eval", "ekspresi timer"),
    (".//bpmn:timeCycle", "eval", "ekspresi timer"),
    (".//spiffworkflow:payloadExpression", "eval", "ekspresi muatan"),
)


@dataclass(frozen=True)
class ExpressionProblem:
    """A rule broken by one expression, with the line it sits on."""

    line: int
    element: str | None
    message: str


def check_expressions(root: etree._Element) -> Iterator[ExpressionProblem]:
    """Check the syntax and sandbox rules of every condition, script and timer in `root`."""
    for xpath, mode, label in _SOURCES:
        for node in root.xpath(xpath, namespaces=NS):
            yield from _check_one(node, mode, label)


def _check_one(node: etree._Element, mode: Mode, label: str) -> Iterator[ExpressionProblem]:
    source = node.text or ""
    element = _owner_id(node)
    line = node.sourceline or 1
    if not source.strip():
        if label != "kondisi":
            yield ExpressionProblem(line, element, f"{label} kosong")
        return
    if _JUEL.search(source):
        yield ExpressionProblem(
            line, element, f"{label} memakai ekspresi JUEL Camunda (${{...}}); mesin ini memakai ekspresi Python"
        )
        return
    if label == "ekspresi timer" and _ISO_8601.match(source.strip()):
        yield ExpressionProblem(
            line, element, f'{label} {source.strip()!r} harus dikutip sebagai teks Python, misalnya "{source.strip()}"'
        )
        return
    code = source.strip() if mode == "eval" else _dedent(source)
    for offset, message in check_source(code, mode):
        yield ExpressionProblem(line + _leading_newlines(source, mode) + offset - 1, element, f"{label}: {message}")


def _owner_id(node: etree._Element) -> str | None:
    for ancestor in node.iterancestors():
        if ancestor.get("id"):
            return str(ancestor.get("id"))
    return None


def _dedent(source: str) -> str:
    return textwrap.dedent(source.strip("\n"))


def _leading_newlines(source: str, mode: Mode) -> int:
    stripped = source.lstrip("\n") if mode == "exec" else source.lstrip()
    return source[: len(source) - len(stripped)].count("\n")
