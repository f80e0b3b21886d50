#!/usr/bin/env python3
"""Does a client generated from the release before's spec still work against this one?

Usage: tests/upgrade/spec_compat.py OLD_SPEC NEW_SPEC [--allowed FILE]
       tests/upgrade/spec_compat.py --self-test

Both specs are OpenAPI 3.0 documents in JSON (openapi.yaml is written as JSON, which YAML
contains). A change is breaking when it:
  - removes an operation, a parameter, a request field, a response field or an enum value;
  - makes a parameter, a request body or a request field required that was not;
  - makes a response field optional that was required, or nullable that was not;
  - changes a type or format, or narrows a bound of a request value (a lower maximum, a
    higher minimum, a shorter maxLength, a longer minLength, a new or changed pattern).
Every breaking change is printed as one line, `BREAK <where>: <what>`; a line of the --allowed
file (`<where>: <what>  # why`) lets that exact one through. Exits 1 on any other.

Why not a published diff tool: openapi-diff from npm (0.24.1), tried here, did not report a
response field made nullable nor a removed enum value.
"""

import json
import sys

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class Spec:
    def __init__(self, document):
        self.doc = document

    def resolve(self, schema, seen=()):
        """The schema with `$ref`s followed and `allOf` merged (poem-openapi wraps a `$ref` in
        an `allOf` to give it a description)."""
        if not isinstance(schema, dict):
            return {}
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name in seen:
                return {"x-recursive": name}
            target = self.doc.get("components", {}).get("schemas", {}).get(name, {})
            merged = {**self.resolve(target, seen + (name,)),
                      **{k: v for k, v in schema.items() if k != "$ref"}}
            return merged
        if "allOf" in schema:
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                part = self.resolve(part, seen)
                merged.setdefault("properties", {}).update(part.get("properties", {}))
                merged["required"] = sorted(set(merged.get("required", []))
                                            | set(part.get("required", [])))
                for key, value in part.items():
                    if key not in ("properties", "required"):
                        merged.setdefault(key, value)
            if not merged.get("properties"):
                merged.pop("properties", None)
            if not merged.get("required"):
                merged.pop("required", None)
            return merged
        return schema

    def operations(self):
        for path, item in self.doc.get("paths", {}).items():
            for method in METHODS:
                if method in item:
                    yield f"{method.upper()} {path}", item[method]


def compare_schemas(old_spec, new_spec, old, new, where, direction, breaks, depth=0):
    """`direction` is "request" (the client sends it) or "response" (the client reads it)."""
    if depth > 12:
        return
    old, new = old_spec.resolve(old), new_spec.resolve(new)
    if "x-recursive" in old or "x-recursive" in new:
        return
    for key in ("type", "format"):
        if old.get(key) != new.get(key) and old.get(key) is not None:
            breaks.append(f"{where}: {key} {old.get(key)} became {new.get(key)}")
    if "enum" in old:
        removed = [v for v in old["enum"] if v not in new.get("enum", old["enum"])]
        if removed:
            breaks.append(f"{where}: enum values removed {removed}")
    if direction == "response" and new.get("nullable") and not old.get("nullable"):
        breaks.append(f"{where}: newly nullable")
    if direction == "request":
        if old.get("nullable") and not new.get("nullable"):
            breaks.append(f"{where}: null no longer accepted")
        narrowed = [
            ("maximum", lambda o, n: n < o), ("maxLength", lambda o, n: n < o),
            ("maxItems", lambda o, n: n < o), ("minimum", lambda o, n: n > o),
            ("minLength", lambda o, n: n > o), ("minItems", lambda o, n: n > o),
        ]
        for key, tighter in narrowed:
            if key in new and (key not in old or tighter(old[key], new[key])):
                breaks.append(f"{where}: {key} {old.get(key)} became {new[key]}")
        if "pattern" in new and new.get("pattern") != old.get("pattern"):
            breaks.append(f"{where}: pattern {old.get('pattern')!r} became {new['pattern']!r}")
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    for name, schema in old_props.items():
        field = f"{where}.{name}"
        if name not in new_props:
            if direction == "request" and new.get("additionalProperties") is not False:
                # An unknown field the server ignores still works for the client.
                continue
            breaks.append(f"{field}: removed")
            continue
        if direction == "response" and name in old_required and name not in new_required:
            breaks.append(f"{field}: no longer required")
        compare_schemas(old_spec, new_spec, schema, new_props[name], field, direction,
                        breaks, depth + 1)
    if direction == "request":
        for name in sorted(new_required - old_required):
            breaks.append(f"{where}.{name}: newly required")
    if "items" in old:
        compare_schemas(old_spec, new_spec, old["items"], new.get("items", {}), f"{where}[]",
                        direction, breaks, depth + 1)


def breaking_changes(old_doc, new_doc):
    old_spec, new_spec = Spec(old_doc), Spec(new_doc)
    new_ops = dict(new_spec.operations())
    breaks = []
    for op, old in old_spec.operations():
        new = new_ops.get(op)
        if new is None:
            breaks.append(f"{op}: operation removed")
            continue
        new_params = {(p.get("in"), p.get("name")): p for p in new.get("parameters", [])}
        for p in old.get("parameters", []):
            key = (p.get("in"), p.get("name"))
            where = f"{op} {p.get('in')} parameter {p.get('name')}"
            if key not in new_params:
                breaks.append(f"{where}: removed")
                continue
            if new_params[key].get("required") and not p.get("required"):
                breaks.append(f"{where}: newly required")
            compare_schemas(old_spec, new_spec, p.get("schema", {}),
                            new_params[key].get("schema", {}), where, "request", breaks)
        for key, p in new_params.items():
            if p.get("required") and key not in {(q.get("in"), q.get("name"))
                                                 for q in old.get("parameters", [])}:
                breaks.append(f"{op} {key[0]} parameter {key[1]}: new and required")
        old_body, new_body = old.get("requestBody", {}), new.get("requestBody", {})
        if new_body.get("required") and not old_body.get("required"):
            breaks.append(f"{op} request body: newly required")
        for media, content in old_body.get("content", {}).items():
            new_content = new_body.get("content", {}).get(media)
            if new_content is None:
                breaks.append(f"{op} request body {media}: no longer accepted")
                continue
            compare_schemas(old_spec, new_spec, content.get("schema", {}),
                            new_content.get("schema", {}), f"{op} request", "request", breaks)
        for status, response in old.get("responses", {}).items():
            new_response = new.get("responses", {}).get(status)
            if new_response is None:
                continue  # a status no longer answered breaks no client
            for media, content in response.get("content", {}).items():
                new_content = new_response.get("content", {}).get(media)
                if new_content is None:
                    breaks.append(f"{op} {status} {media}: no longer answered")
                    continue
                compare_schemas(old_spec, new_spec, content.get("schema", {}),
                                new_content.get("schema", {}), f"{op} {status}", "response",
                                breaks)
    return breaks


def allowed(path):
    if not path:
        return set()
    lines = open(path, encoding="utf-8").read().splitlines()
    return {line.split("#", 1)[0].strip() for line in lines
            if line.strip() and not line.startswith("#")}


def self_test():
    """Each rule catches the change it names, and an unchanged or widened spec passes."""
    def spec(health, body, param):
        return {"paths": {"/x": {"post": {
            "parameters": [param],
            "requestBody": {"content": {"application/json": {"schema": body}}},
            "responses": {"200": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/H"}}}}}}}},
            "components": {"schemas": {"H": health}}}
    health = {"type": "object", "required": ["status"], "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded"]},
        "note": {"type": "string"}}}
    body = {"type": "object", "required": ["a"], "properties": {
        "a": {"type": "integer", "maximum": 10}, "b": {"type": "string"}}}
    param = {"in": "query", "name": "limit", "schema": {"type": "integer", "maximum": 100}}
    base = spec(health, body, param)

    def changed(path_to, value):
        doc = json.loads(json.dumps(base))
        target = doc
        for key in path_to[:-1]:
            target = target[key]
        if value is None:
            del target[path_to[-1]]
        else:
            target[path_to[-1]] = value
        return doc
    props = ["components", "schemas", "H", "properties"]
    req = ["paths", "/x", "post", "requestBody", "content", "application/json", "schema"]
    cases = {
        "operation removed": changed(["paths", "/x"], {}),
        "removed": changed(props + ["note"], None),
        "enum values removed": changed(props + ["status", "enum"], ["ok"]),
        "newly nullable": changed(props + ["note"], {"type": "string", "nullable": True}),
        "no longer required": changed(["components", "schemas", "H", "required"], []),
        "newly required": changed(req + ["required"], ["a", "b"]),
        "maximum 10 became 5": changed(req + ["properties", "a"],
                                       {"type": "integer", "maximum": 5}),
        "type integer became string": changed(req + ["properties", "a"], {"type": "string"}),
        "parameter limit: removed": changed(["paths", "/x", "post", "parameters"], []),
    }
    failures = []
    if breaking_changes(base, base):
        failures.append(f"the spec against itself: {breaking_changes(base, base)}")
    widened = changed(props + ["extra"], {"type": "string"})
    widened["paths"]["/y"] = {"get": {"responses": {}}}
    if breaking_changes(base, widened):
        failures.append(f"a new field and operation: {breaking_changes(base, widened)}")
    for what, doc in cases.items():
        found = breaking_changes(base, doc)
        if not any(what in line for line in found):
            failures.append(f"{what}: not caught ({found})")
    for failure in failures:
        print(f"FAIL {failure}")
    print(f"spec_compat self-test: {len(cases) + 2 - len(failures)} of {len(cases) + 2} cases")
    return 1 if failures else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) < 3:
        print(__doc__)
        return 2
    old_doc = json.load(open(argv[1], encoding="utf-8"))
    new_doc = json.load(open(argv[2], encoding="utf-8"))
    let_through = allowed(argv[4] if len(argv) > 4 and argv[3] == "--allowed" else None)
    breaks = breaking_changes(old_doc, new_doc)
    unlisted = [b for b in breaks if b not in let_through]
    for line in breaks:
        print(f"{'allowed' if line in let_through else 'BREAK'} {line}")
    print(f"spec compatibility: {len(breaks)} breaking change(s), {len(unlisted)} not allowed, "
          f"{len(new_doc.get('paths', {}))} paths now")
    return 1 if unlisted else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
