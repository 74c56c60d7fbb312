"""Indicator-set templates: a plugin's ready-made tree, merged into a tenant's document.

A tenant writes ``indicator_set: {template: CODE, overrides: {node: {field: value}}}``;
the template (a configuration document in the tenant format, from the industry plugin)
is merged before the sections are built: its scales and tree, the tenant's scales of the
same code replacing the template's, the overrides applied by node code. The ``Locator``
then maps a problem in the merged document back to where it was written: the tenant's
override, the tenant's scale, or the template's own line.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable

from core.config.errors import ConfigError, ConfigIssue
from core.config.sections.indicator_set import QUESTION_FIELDS
from core.config.yaml_loader import YamlDocument, read_yaml


@dataclass(frozen=True)
class TemplateText:
    """A plugin's indicator-set template: a configuration document in the tenant format."""

    text: str
    file: str


# (industry, template code) -> the template, or None when the plugin has no such template.
TemplateLookup = Callable[[str, str], "TemplateText | None"]


# What merge_template combines itself; any other section of the tenant's document is taken whole.
OWN_KEYS = ("version", "industry", "source", "template", "scales", "indicator_set")


def merge_template(doc: YamlDocument, data: dict, templates: TemplateLookup | None, validate_shape) -> tuple[YamlDocument, dict]:
    """The tenant's data with the template it names merged in, and the template's document
    (for locating problems). ``validate_shape`` checks the template like a tenant document."""
    iset = data["indicator_set"]
    code = iset["template"]
    industry = data.get("industry")
    if not industry:
        raise ConfigError([doc.issue(("indicator_set", "template"), "a template needs `industry:` naming the plugin that provides it")])
    found = templates(industry, code) if templates else None
    if found is None:
        raise ConfigError([doc.issue(("indicator_set", "template"), f"industry {industry!r} has no template {code!r}")])
    tdoc = read_yaml(found.text, found.file)
    tdata = validate_shape(tdoc, "template")
    if tdata["indicator_set"].get("template"):
        raise ConfigError([tdoc.issue(("indicator_set", "template"), "a template cannot itself use a template")])

    merged = copy.deepcopy(tdata)
    merged["industry"] = industry
    merged["scales"].update(data["scales"])
    for name, value in data.items():  # the tenant's other sections replace the template's
        if name not in OWN_KEYS and value is not None:
            merged[name] = value
    tset = merged["indicator_set"]
    for key in ("code", "name", "name_zh", "source"):
        if iset.get(key):
            tset[key] = iset[key]
    nodes = {n["code"]: n for n in walk_nodes(tset["children"])}
    issues = []
    for node_code, changes in iset["overrides"].items():
        node = nodes.get(node_code)
        if node is None:
            issues.append(doc.issue(("indicator_set", "overrides", node_code), f"template {code!r} has no node {node_code!r}"))
            continue
        for field, value in changes.items():
            if node.get("children") is not None and field in QUESTION_FIELDS:
                issues.append(doc.issue(("indicator_set", "overrides", node_code, field), f"{node_code!r} is a group; {field} applies to questions"))
            node[field] = value
    if issues:
        raise ConfigError(issues)
    tset["template"] = None
    tset["overrides"] = {}
    merged["template"] = {"industry": industry, "code": code, "file": found.file}
    return tdoc, merged


def walk_nodes(nodes):
    for n in nodes:
        yield n
        yield from walk_nodes(n.get("children") or ())


class Locator:
    """Map a path in the resolved configuration back to where the tenant (or template) wrote it."""

    def __init__(self, doc: YamlDocument | None, template: YamlDocument | None, data: dict):
        self.doc = doc
        self.template = template
        self.data = data

    def __call__(self, path: tuple, message: str) -> ConfigIssue:
        path = tuple(path)
        if self.doc is None:
            return ConfigIssue(path, message)
        if self.template is None:
            return self.doc.issue(path, message)
        tenant = self.doc.data if isinstance(self.doc.data, dict) else {}
        if path[:1] == ("scales",) and len(path) > 1:
            owner = self.doc if path[1] in (tenant.get("scales") or {}) else self.template
            return owner.issue(path, message)
        overrides = ((tenant.get("indicator_set") or {}).get("overrides")) or {}
        if path[:2] == ("indicator_set", "children"):
            node, field = self._node_at(path)
            if node is not None and field is not None and field in (overrides.get(node["code"]) or {}):
                return self.doc.issue(("indicator_set", "overrides", node["code"], field), message)
            if path[-1] == "children" or field is None:
                # A rule about a sibling group (weights): point at the tenant's overrides if any touch it.
                group = self._group_at(path)
                touched = [n["code"] for n in group if "weight" in (overrides.get(n["code"]) or {})]
                if touched:
                    codes = ", ".join(n["code"] for n in group)
                    return self.doc.issue(("indicator_set", "overrides", touched[0], "weight"), f"{message} (siblings: {codes})")
        issue = self.template.issue(path, message)
        return ConfigIssue(issue.path, f"{message} (in template {self.template.file})", issue.line, self.template.file)

    def _node_at(self, path: tuple):
        """The node dict a path points into and the field named right after it."""
        nodes = self.data["indicator_set"]["children"]
        node = None
        field = None
        i = 2
        while i < len(path):
            step = path[i]
            if isinstance(step, int) and nodes is not None and step < len(nodes):
                node = nodes[step]
                field = path[i + 1] if i + 1 < len(path) else None
                if field == "children":
                    nodes = node.get("children")
                    i += 2
                    continue
                break
            break
        return node, field

    def _group_at(self, path: tuple) -> list[dict]:
        nodes = self.data["indicator_set"]["children"]
        for step in path[2:]:
            if isinstance(step, int):
                nodes = (nodes[step].get("children") or []) if step < len(nodes) else []
        return nodes
