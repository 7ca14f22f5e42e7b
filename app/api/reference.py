"""The reference page's content, read from the OpenAPI document (so the page and
/api/v1/openapi.json never disagree): operations grouped by tag, with their parameters,
body fields and responses; schemas' ``$ref`` resolved."""

from __future__ import annotations

from dataclasses import dataclass, field

METHOD_ORDER = ("get", "post", "put", "patch", "delete")


@dataclass
class Field:
    name: str
    type: str
    required: bool
    description: str = ""
    location: str = ""


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: str
    anchor: str
    parameters: list[Field] = field(default_factory=list)
    body: list[Field] = field(default_factory=list)
    responses: list[tuple[str, str, str]] = field(default_factory=list)
    authenticated: bool = True


@dataclass
class Section:
    tag: str
    description: str
    operations: list[Operation] = field(default_factory=list)


@dataclass
class Reference:
    title: str
    version: str
    description: str
    sections: list[Section]
    schemas: dict[str, list[Field]]


def _resolve(spec: dict, node: dict | None) -> dict:
    seen = 0
    while node and "$ref" in node and seen < 20:
        kind, name = node["$ref"].split("/")[-2:]
        node = spec.get("components", {}).get(kind, {}).get(name, {})
        seen += 1
    return node or {}


def _type(spec: dict, schema: dict) -> str:
    if not schema:
        return "any"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    kind = schema.get("type", "object")
    if kind == "array":
        return f"array of {_type(spec, schema.get('items', {}))}"
    text = kind + (f" ({schema['format']})" if schema.get("format") else "")
    if schema.get("enum"):
        text += ": " + " | ".join(str(v) for v in schema["enum"])
    if schema.get("nullable"):
        text += ", nullable"
    return text


def _fields(spec: dict, schema: dict) -> list[Field]:
    schema = _resolve(spec, schema)
    required = set(schema.get("required", []))
    return [Field(name=name, type=_type(spec, prop), required=name in required,
                  description=_resolve(spec, prop).get("description", "")
                  if "$ref" in prop else prop.get("description", ""))
            for name, prop in schema.get("properties", {}).items()]


def build_reference(spec: dict) -> Reference:
    tags = {t["name"]: t.get("description", "") for t in spec.get("tags", [])}
    sections: dict[str, Section] = {}
    default_security = spec.get("security", [])
    for path, item in spec.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHOD_ORDER:
            op = item.get(method)
            if op is None:
                continue
            tag = (op.get("tags") or ["other"])[0]
            section = sections.setdefault(tag, Section(tag=tag, description=tags.get(tag, "")))
            params = [_resolve(spec, p) for p in shared + op.get("parameters", [])]
            body_schema = (op.get("requestBody", {}).get("content", {})
                           .get("application/json", {}).get("schema"))
            responses = []
            for code, response in op.get("responses", {}).items():
                response = _resolve(spec, response)
                content = response.get("content", {})
                media, schema = next(iter(content.items()), ("", {}))
                responses.append((code, response.get("description", ""),
                                  f"{_type(spec, schema.get('schema', {}))} ({media})"
                                  if media else ""))
            section.operations.append(Operation(
                method=method.upper(), path=path, summary=op.get("summary", ""),
                description=op.get("description", ""),
                anchor=f"{method}-{path.strip('/').replace('/', '-').replace('{', '')}"
                .replace("}", ""),
                parameters=[Field(name=p.get("name", ""), type=_type(spec, p.get("schema", {})),
                                  required=bool(p.get("required")),
                                  description=p.get("description", ""),
                                  location=p.get("in", "")) for p in params],
                body=_fields(spec, body_schema) if body_schema else [],
                responses=responses,
                authenticated=op.get("security", default_security) != []))
    schemas = {name: _fields(spec, schema)
               for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items())}
    info = spec.get("info", {})
    return Reference(title=info.get("title", ""), version=info.get("version", ""),
                     description=info.get("description", ""),
                     sections=sorted(sections.values(), key=lambda s: s.tag), schemas=schemas)
