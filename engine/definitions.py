"""Deployed versions, parsed once per process and kept in memory."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.catalog import Catalog
from engine.bpmn.specs import ProcessSpecs, parse_specs
from engine.bpmn.validate import CompiledDefinition
from engine.bpmn.xml import parse_bpmn
from engine.errors import NotFound
from engine.legal.corrections import ENGINE_FORMS
from engine.persistence.models import ProcessDefinition


@dataclass(frozen=True)
class LoadedDefinition:
    """A deployed version ready to run: its specs, catalog, forms and lane mapping."""

    id: int
    key: str
    version: int
    catalog: Catalog
    forms: dict[str, dict[str, Any]]
    lane_roles: dict[str, list[str]]
    specs: ProcessSpecs

    @classmethod
    def deployed(cls, definition_id: int, version: int, compiled: CompiledDefinition) -> LoadedDefinition:
        """The version just deployed from `compiled` (already parsed; no need to parse it again)."""
        return cls(
            id=definition_id,
            key=compiled.key,
            version=version,
            catalog=compiled.catalog,
            forms=compiled.forms,
            lane_roles=compiled.lane_roles,
            specs=compiled.specs,
        )

    @cached_property
    def labels(self) -> dict[str, str]:
        """Each process variable's title, taken from the forms of this version (first form wins).

        A field inside a group has its dotted path without list indices: `korban.jenis_kelamin`.
        """
        labels: dict[str, str] = {}
        for schema in self.forms.values():
            for path, prop in form_fields(schema):
                labels.setdefault(path, str(prop.get("title", path.rsplit(".", 1)[-1])))
        return labels

    @cached_property
    def value_titles(self) -> dict[str, dict[str, str]]:
        """Each enum variable's value titles (x-enumTitles), from the forms of this version; paths as in `labels`."""
        titles: dict[str, dict[str, str]] = {}
        for schema in self.forms.values():
            for path, prop in form_fields(schema):
                source = prop.get("items", prop) if prop.get("type") == "array" else prop
                if isinstance(source, dict) and "x-enumTitles" in source:
                    titles.setdefault(path, dict(source["x-enumTitles"]))
        return titles

    def form(self, name: str | None) -> dict[str, Any] | None:
        """The JSON Schema of a form of this version, or of the engine's own tasks (engine.legal.corrections)."""
        return (self.forms.get(name) or ENGINE_FORMS.get(name)) if name else None


class DefinitionCache:
    """Parsed specs by definition id (versions are immutable, so entries never go stale)."""

    def __init__(self, capacity: int = 64) -> None:
        self._entries: OrderedDict[int, LoadedDefinition] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, session: Session, definition_id: int) -> LoadedDefinition:
        """Return the loaded definition, parsing it on first use."""
        with self._lock:
            entry = self._entries.get(definition_id)
            if entry is not None:
                self._entries.move_to_end(definition_id)
                return entry
        row = session.get(ProcessDefinition, definition_id)
        if row is None:
            raise NotFound("Definisi proses tidak ditemukan.")
        entry = load_definition(row)
        with self._lock:
            self._entries[definition_id] = entry
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        return entry

    def put(self, entry: LoadedDefinition) -> None:
        """Remember a definition that was just deployed (already parsed)."""
        with self._lock:
            self._entries[entry.id] = entry

    def clear(self) -> None:
        """Forget everything (tests use this to prove state reloads from the database)."""
        with self._lock:
            self._entries.clear()


def form_fields(schema: dict[str, Any], prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every field of a form as (dotted path, property), the fields of groups (objects, lists of objects) too."""
    fields: list[tuple[str, dict[str, Any]]] = []
    for name, prop in schema.get("properties", {}).items():
        if not isinstance(prop, dict):
            continue
        path = f"{prefix}{name}"
        fields.append((path, prop))
        inner = prop.get("items") if prop.get("type") == "array" else prop
        if isinstance(inner, dict) and "properties" in inner:
            fields += form_fields(inner, f"{path}.")
    return fields


def load_definition(row: ProcessDefinition) -> LoadedDefinition:
    """Parse a stored version (it passed the validator when it was deployed)."""
    tree: etree._ElementTree = parse_bpmn(row.bpmn_xml.encode(), f"{row.key}.bpmn")
    return LoadedDefinition(
        id=row.id,
        key=row.key,
        version=row.version,
        catalog=Catalog.from_json(row.catalog),
        forms=dict(row.forms),
        lane_roles=dict(row.lane_roles),
        specs=parse_specs(tree, row.key, f"{row.key}.bpmn"),
    )


def latest_definition_id(session: Session, key: str) -> int:
    """The id of the newest version of process `key`."""
    found = session.scalar(
        select(ProcessDefinition.id)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    )
    if found is None:
        raise NotFound(f"Proses {key!r} belum diterapkan.")
    return found
