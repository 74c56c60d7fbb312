"""YAML text → validated domain model, with errors that carry file, line and path.

``load_config`` is the one entry point used by the CLI, the API and plugin loading. It
returns a ``TenantConfig``: the built ``IndicatorSet`` plus ``document``, the fully
resolved configuration (template merged, default weights filled in) as plain JSON-ready
data. Stored versions keep that document, so a version can be rebuilt with
``build_config`` years later even if the plugin's template has changed since.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable, Mapping

from marshmallow import ValidationError

from core.config.errors import ConfigError, ConfigIssue
from core.config.schema import ConfigSchema, flatten_messages
from core.config.yaml_loader import YamlDocument, read_yaml
from core.model import Indicator, IndicatorSet, ModelError, Scale, ScaleOption

FORMAT_VERSION = 1


@dataclass(frozen=True)
class TemplateText:
    """A plugin's indicator-set template: a configuration document in the tenant format."""

    text: str
    file: str


# (industry, template code) -> the template, or None when the plugin has no such template.
TemplateLookup = Callable[[str, str], "TemplateText | None"]


@dataclass(frozen=True)
class TenantConfig:
    indicator_set: IndicatorSet
    document: dict
    industry: str | None = None

    def summary(self) -> dict:
        iset = self.indicator_set
        groups = [n for n, _ in iset.walk() if not n.is_question]
        return {
            "indicator_set": iset.code,
            "name": iset.name,
            "industry": self.industry,
            "template": (self.document.get("template") or {}).get("code"),
            "groups": len(groups),
            "questions": len(iset.questions),
            "scored_questions": len(iset.scored_questions),
            "scales": sorted(iset.scales),
        }


def load_config(text: str | bytes, file: str | None = None, templates: TemplateLookup | None = None) -> TenantConfig:
    """Parse, validate and build a tenant configuration; raise ConfigError listing every problem found."""
    doc = read_yaml(text, file)
    data = _validate_shape(doc)
    iset_data = data["indicator_set"]
    template_doc = None
    if iset_data.get("template"):
        template_doc, data = _merge_template(doc, data, templates)
    return _build(data, _Locator(doc, template_doc, data))


def build_config(document: Mapping) -> TenantConfig:
    """Rebuild a configuration from a stored, resolved document (no template lookup)."""
    data = ConfigSchema().load(_strip_provenance(document))
    return _build(data, _Locator(None, None, data), provenance=document.get("template"))


# --- steps -----------------------------------------------------------------------------


def _validate_shape(doc: YamlDocument, what: str = "configuration") -> dict:
    if not isinstance(doc.data, dict):
        raise ConfigError([doc.issue((), f"a {what} document must be a mapping with version, scales and indicator_set")])
    try:
        return ConfigSchema().load(doc.data)
    except ValidationError as exc:
        issues = [doc.issue(path, msg) for path, msg in flatten_messages(exc.messages)]
        raise ConfigError(sorted(issues, key=lambda i: (i.line or 0, i.dotted))) from None


def _merge_template(doc: YamlDocument, data: dict, templates: TemplateLookup | None):
    iset = data["indicator_set"]
    code = iset["template"]
    industry = data.get("industry")
    if not industry:
        raise ConfigError([doc.issue(("indicator_set", "template"), "a template needs `industry:` naming the plugin that provides it")])
    found = templates(industry, code) if templates else None
    if found is None:
        raise ConfigError([doc.issue(("indicator_set", "template"), f"industry {industry!r} has no template {code!r}")])
    tdoc = read_yaml(found.text, found.file)
    tdata = _validate_shape(tdoc, "template")
    if tdata["indicator_set"].get("template"):
        raise ConfigError([tdoc.issue(("indicator_set", "template"), "a template cannot itself use a template")])

    merged = copy.deepcopy(tdata)
    merged["industry"] = industry
    merged["scales"].update(data["scales"])
    tset = merged["indicator_set"]
    for key in ("code", "name", "name_zh", "source"):
        if iset.get(key):
            tset[key] = iset[key]
    nodes = {n["code"]: n for n in _walk_dicts(tset["children"])}
    issues = []
    for node_code, changes in iset["overrides"].items():
        node = nodes.get(node_code)
        if node is None:
            issues.append(doc.issue(("indicator_set", "overrides", node_code), f"template {code!r} has no node {node_code!r}"))
            continue
        for field, value in changes.items():
            if node.get("children") is not None and field in ("scale", "question", "question_zh", "touchpoint", "reverse"):
                issues.append(doc.issue(("indicator_set", "overrides", node_code, field), f"{node_code!r} is a group; {field} applies to questions"))
            node[field] = value
    if issues:
        raise ConfigError(issues)
    tset["template"] = None
    tset["overrides"] = {}
    merged["template"] = {"industry": industry, "code": code, "file": found.file}
    return tdoc, merged


def _build(data: dict, locate: "_Locator", provenance=None) -> TenantConfig:
    scales: dict[str, Scale] = {}
    issues: list[ConfigIssue] = []
    for code, s in data["scales"].items():
        try:
            scales[code] = Scale(
                code=code,
                kind=s["kind"],
                options=tuple(
                    ScaleOption(code=o["code"], score=o["score"], label=o["label"], label_zh=o["label_zh"], satisfied=o["satisfied"])
                    for o in s["options"]
                ),
                min=s["min"],
                max=s["max"],
                name=s["name"],
                name_zh=s["name_zh"],
            )
        except ModelError as exc:
            issues.append(locate(("scales", code) + exc.path, exc.message))
    if issues:
        raise ConfigError(issues)

    iset_data = data["indicator_set"]
    children_path = ("indicator_set", "children")
    _fill_default_weights(iset_data["children"], scales, children_path, locate, issues)
    if issues:
        raise ConfigError(issues)
    try:
        children = tuple(_build_node(n, children_path + (i,)) for i, n in enumerate(iset_data["children"]))
        iset = IndicatorSet(
            code=iset_data["code"],
            children=children,
            scales=scales,
            name=iset_data["name"],
            name_zh=iset_data["name_zh"],
        )
    except ModelError as exc:
        path = exc.path if exc.path[:2] == children_path else ("indicator_set",) + exc.path
        raise ConfigError([locate(path, exc.message)]) from None

    document = _document(data, provenance or data.get("template"))
    return TenantConfig(indicator_set=iset, document=document, industry=data.get("industry"))


def _fill_default_weights(nodes: list[dict], scales, path, locate, issues) -> None:
    """Siblings that all omit ``weight`` share it equally; a partial set is an error."""
    scored = [n for n in nodes if not _is_text_question(n, scales)]
    missing = [n for n in scored if n.get("weight") is None]
    if missing and len(missing) == len(scored):
        for n in scored:
            n["weight"] = 1.0 / len(scored)
    elif missing:
        for i, n in enumerate(nodes):
            if n in missing:
                issues.append(locate(path + (i, "weight"), "weight is missing; give every sibling a weight, or none for equal weights"))
    for i, n in enumerate(nodes):
        if n.get("weight") is None:
            n["weight"] = 0.0
        if n.get("children") is not None:
            _fill_default_weights(n["children"], scales, path + (i, "children"), locate, issues)


def _is_text_question(node: dict, scales) -> bool:
    scale = scales.get(node.get("scale") or "")
    return bool(node.get("scale")) and scale is not None and not scale.scored


def _build_node(n: dict, path: tuple) -> Indicator:
    try:
        kids = tuple(_build_node(c, path + ("children", i)) for i, c in enumerate(n.get("children") or ()))
        return Indicator(
            code=n["code"],
            weight=n["weight"],
            name=n["name"],
            name_zh=n["name_zh"],
            children=kids,
            scale=n.get("scale"),
            question=n["question"],
            question_zh=n["question_zh"],
            touchpoint=n.get("touchpoint"),
            reverse=n["reverse"],
            source=n["source"],
        )
    except ModelError as exc:
        if exc.path and exc.path[0] == "indicator_set":
            raise
        raise ModelError(exc.message, path + exc.path) if not _absolute(exc.path) else exc from None


def _absolute(path: tuple) -> bool:
    return bool(path) and path[0] == "indicator_set"


def _walk_dicts(nodes):
    for n in nodes:
        yield n
        yield from _walk_dicts(n.get("children") or ())


def _document(data: dict, provenance) -> dict:
    """The resolved configuration as JSON-ready data (the stored, reproducible form)."""

    def node(n):
        out = {k: n[k] for k in ("code", "name", "name_zh", "weight", "source") if n.get(k) not in (None, "")}
        out["weight"] = n["weight"]
        if n.get("children") is not None:
            out["children"] = [node(c) for c in n["children"]]
        else:
            out["scale"] = n["scale"]
            for k in ("question", "question_zh", "touchpoint", "reverse"):
                if n.get(k):
                    out[k] = n[k]
        return out

    def scale(s):
        out = {k: s[k] for k in ("kind", "name", "name_zh", "min", "max", "source") if s.get(k) not in (None, "")}
        if s["options"]:
            out["options"] = [{k: v for k, v in o.items() if v not in ("", None)} for o in s["options"]]
        return out

    iset = data["indicator_set"]
    doc = {
        "version": FORMAT_VERSION,
        "industry": data.get("industry"),
        "scales": {code: scale(s) for code, s in data["scales"].items()},
        "indicator_set": {
            **{k: iset[k] for k in ("code", "name", "name_zh", "source") if iset.get(k)},
            "children": [node(c) for c in iset["children"]],
        },
    }
    if data.get("source"):
        doc["source"] = data["source"]
    if provenance:
        doc["template"] = {"industry": provenance["industry"], "code": provenance["code"]}
    return doc


def _strip_provenance(document: Mapping) -> dict:
    out = dict(document)
    out.pop("template", None)
    if out.get("industry") is None:
        out.pop("industry", None)
    return out


class _Locator:
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
