"""GitHub's official REST API description, and a checker for responses against it.

Why: the GitHub fake (``tests/support/fake_github.py``) is the one fake this project
allows, and it is only worth having if it answers exactly as GitHub documents. A fake
that drifts from GitHub lets a client bug pass (a ``Link`` URL that 404s when
followed, rate-limit headers that appear twice) or fails a correct client. So every
response the fake serves is checked against the description GitHub publishes itself:
npm ``@octokit/openapi``, file ``generated/api.github.com.json`` (OpenAPI 3.0.3).

The spec is ~13 MB and must not live in the repository: it is fetched once with
``npm pack`` (the npm registry is reachable from CI too) into a cache outside the
repo, ``${SHIPML_CACHE:-/var/cache/shipml}/octokit-openapi/<version>/``, verified
against the pinned tarball integrity, and reused. When it cannot be had, loading
raises :class:`SpecUnavailable` with what to do: tests that need it FAIL, never skip.

    python -m tests.support.github_openapi     # fetch into the cache and print the path
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from referencing import Registry
from referencing.jsonschema import DRAFT4

PACKAGE = "@octokit/openapi"
VERSION = "23.0.2"  # pinned: a new GitHub description is a deliberate change, reviewed like code
INTEGRITY = "sha512-pV8M7L9GY23AybNvTmo2nyjmpmnt6+2sRE/tqr0ZLQcPS4lnw7u5eZGNmwRNkBC3D7gZXbFx5AHzLUVRBXGDhg=="
MEMBER = "package/generated/api.github.com.json"
SPEC_URI = "https://github.com/octokit/openapi/api.github.com.json"

# Statuses GitHub documents for *every* REST endpoint (authentication, rate limits,
# outages, a repository the token cannot see), although most operations in the spec
# do not list them. An undeclared status outside this map is a problem.
GENERIC_RESPONSES: dict[int, str] = {
    401: "requires_authentication",
    403: "forbidden",
    404: "not_found",
    422: "validation_failed",
    429: "forbidden",  # "403 or 429" for rate limits: same basic-error body
    500: "internal_error",
    502: "service_unavailable",
    503: "service_unavailable",
}
RATE_LIMIT_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-used")


class SpecUnavailable(RuntimeError):
    """GitHub's OpenAPI description could not be fetched or read; the message says how to fix it."""


# Read once at import as well: the tests' autouse fixture clears SHIPML_* variables
# before each test, and a CI job's cache location must survive that.
_CACHE_AT_IMPORT = os.environ.get("SHIPML_CACHE") or "/var/cache/shipml"


@dataclass(frozen=True)
class NpmFile:
    """One file inside a pinned npm package, cached outside the repository."""

    package: str
    version: str
    integrity: str  # the registry's dist.integrity of that exact tarball
    member: str  # path inside the tarball

    @property
    def path(self) -> Path:
        root = Path(os.environ.get("SHIPML_CACHE") or _CACHE_AT_IMPORT)
        return (
            root / self.package.lstrip("@").replace("/", "-") / self.version / self.member.rsplit("/", 1)[-1]
        )

    def fetch(self) -> Path:
        """The cached file, fetching it with ``npm pack`` when absent."""
        target, spec = self.path, f"{self.package}@{self.version}"
        if target.is_file():
            return target
        npm = shutil.which("npm")
        if npm is None:
            raise SpecUnavailable(
                f"npm is not on PATH: install Node.js/npm to fetch {spec}, "
                f"or put {self.member} from that package at {target}"
            )
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
                proc = subprocess.run(
                    [npm, "pack", spec, "--pack-destination", tmp, "--json"],
                    capture_output=True,
                    text=True,
                    timeout=600,
                    check=False,
                )
                if proc.returncode != 0:
                    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
                    raise SpecUnavailable(
                        f"`npm pack {spec}` failed ({' | '.join(tail)}): "
                        "check that the npm registry is reachable (npm config get registry)"
                    )
                (tarball,) = Path(tmp).glob("*.tgz")
                digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
                if f"sha512-{digest}" != self.integrity:
                    raise SpecUnavailable(
                        f"{tarball.name} does not match the pinned integrity {self.integrity[:20]}...: "
                        "the registry served a different package; refusing to use it"
                    )
                with tarfile.open(tarball) as tar:
                    member = tar.extractfile(self.member)
                    if member is None:
                        raise SpecUnavailable(f"{spec} has no {self.member}")
                    partial = Path(tmp) / target.name
                    partial.write_bytes(member.read())
                os.replace(partial, target)  # atomic: a concurrent reader never sees half a file
        except OSError as exc:
            raise SpecUnavailable(
                f"cannot write the spec cache {target.parent} ({exc.strerror}): "
                "set SHIPML_CACHE to a writable directory"
            ) from exc
        return target


REST = NpmFile(PACKAGE, VERSION, INTEGRITY, MEMBER)
GRAPHQL = NpmFile(
    "@octokit/graphql-schema",
    "15.26.1",
    "sha512-RFDC2MpRBd4AxSRvUeBIVeBU7ojN/SxDfALUd7iVYOSeEK3gZaqR2MGOysj4Zh2xj2RY5fQAUT+Oqq7hWTraMA==",
    "package/schema.graphql",
)


def spec_path() -> Path:
    return REST.fetch()


@functools.cache
def load_spec() -> dict[str, Any]:
    path = spec_path()
    try:
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SpecUnavailable(f"{path} is unreadable ({exc}); delete it to fetch it again") from exc
    return loaded


def _as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema objects -> JSON Schema draft 4, which 3.0 is a dialect of.

    ``nullable: true`` becomes a ``"null"`` type (or a null alternative when the node
    has no type of its own). ``oneOf`` becomes ``anyOf``: GitHub's ``oneOf`` branches
    overlap (object schemas without ``additionalProperties: false``, or several
    nullable branches), so a correct payload often matches more than one and a strict
    ``oneOf`` would reject what GitHub itself sends.
    """
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {("anyOf" if key == "oneOf" else key): _as_json_schema(value) for key, value in node.items()}
    if out.pop("nullable", None) is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if isinstance(out.get("enum"), list) and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        else:
            return {"anyOf": [{"type": "null"}, out]}
    return out


_FORMATS = jsonschema.FormatChecker(formats=())


def _is_date_time(value: object) -> bool:
    if isinstance(value, str):
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def _is_uri(value: object) -> bool:
    if not isinstance(value, str) or value == "":  # GitHub sends "" for an unset URL (target_url, log_url)
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and (parts.netloc or parts.scheme == "mailto"))


_FORMATS.checks("date-time", raises=ValueError)(_is_date_time)
_FORMATS.checks("uri")(_is_uri)


def _pointer(*segments: str) -> str:
    return "/".join(s.replace("~", "~0").replace("/", "~1") for s in segments)


@dataclass(frozen=True)
class Operation:
    method: str
    template: str  # the spec's path, e.g. /repos/{owner}/{repo}/issues/{issue_number}
    spec: dict[str, Any]

    @property
    def operation_id(self) -> str:
        return str(self.spec.get("operationId", f"{self.method} {self.template}"))


class ResponseChecker:
    """Finds the spec's operation for a request and lists what is wrong with a response to it."""

    def __init__(self, spec: dict[str, Any] | None = None) -> None:
        self.spec = _as_json_schema(spec if spec is not None else load_spec())
        self._registry: Registry[Any] = Registry().with_resource(SPEC_URI, DRAFT4.create_resource(self.spec))
        # Literal segments outrank parameters: /issues/comments/{id} before /issues/{n}/{x}.
        self._templates = sorted(
            (
                (re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(t)) + "$"), t)
                for t in self.spec["paths"]
            ),
            key=lambda pair: -sum(1 for seg in pair[1].split("/") if seg and not seg.startswith("{")),
        )

    def operation(self, method: str, path: str) -> Operation | None:
        for pattern, template in self._templates:
            if pattern.match(path) and method.lower() in self.spec["paths"][template]:
                return Operation(method.upper(), template, self.spec["paths"][template][method.lower()])
        return None

    def _response(self, op: Operation, status: int) -> tuple[dict[str, Any], str] | None:
        """The response object and a JSON pointer to it, following a component ``$ref``."""
        responses = op.spec.get("responses", {})
        if str(status) in responses:
            obj = responses[str(status)]
            pointer = _pointer("paths", op.template, op.method.lower(), "responses", str(status))
        elif status in GENERIC_RESPONSES:
            obj = {"$ref": f"#/components/responses/{GENERIC_RESPONSES[status]}"}
            pointer = ""
        else:
            return None
        while "$ref" in obj:
            name = obj["$ref"].rsplit("/", 1)[-1]
            obj = self.spec["components"]["responses"][name]
            pointer = _pointer("components", "responses", name)
        return obj, pointer

    def problems(
        self, method: str, path: str, status: int, headers: Iterable[tuple[str, str]], body: Any
    ) -> list[str]:
        """Every way this response departs from GitHub's description (empty when it conforms)."""
        headers = list(headers)
        op = self.operation(method, path)
        if op is None:
            return [f"{method} {path}: no such operation in GitHub's REST API"]
        where = f"{op.operation_id} {status}"
        found = self._response(op, status)
        if found is None:
            declared = ", ".join(op.spec.get("responses", {}))
            return [f"{where}: status not documented for this operation (declared: {declared})"]
        response, pointer = found
        out = [f"{where}: {p}" for p in _header_problems(path, status, headers, body)]
        content = response.get("content", {}).get("application/json")
        if content is None and status >= 400 and body is not None:
            # Some errors are documented without a body (409 on create-deployment) though
            # GitHub sends its usual one: hold it to the shape every other error has.
            pointer, content = _pointer("components", "responses", "not_found"), {"schema": {}}
        if content is None or "schema" not in content:
            if body is not None:
                out.append(f"{where}: the spec declares no body, got {str(body)[:80]!r}")
        elif body is None:
            out.append(f"{where}: the spec declares a JSON body, got none")
        else:
            ref = f"{SPEC_URI}#/{pointer}/{_pointer('content', 'application/json', 'schema')}"
            validator = jsonschema.Draft4Validator(
                {"$ref": ref}, registry=self._registry, format_checker=_FORMATS
            )
            for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))[:20]:
                at = "/".join(str(p) for p in error.absolute_path) or "(body)"
                out.append(f"{where}: {at}: {error.message[:200]}")
        return out


def _get(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in headers if k.lower() == name.lower()]


def link_urls(value: str) -> Iterator[tuple[str, str]]:
    """(rel, url) pairs of an RFC 8288 ``Link`` header as GitHub writes it."""
    for part in value.split(","):
        m = re.fullmatch(r'\s*<([^>]+)>\s*;\s*rel="([^"]+)"\s*', part)
        if m:
            yield m.group(2), m.group(1)


def _header_problems(path: str, status: int, headers: list[tuple[str, str]], body: Any) -> Iterator[str]:
    names = [k.lower() for k, _ in headers]
    for name in sorted({n for n in names if names.count(n) > 1}):
        yield f"header {name} sent {names.count(name)} times: {_get(headers, name)}"
    for name in RATE_LIMIT_HEADERS:
        values = _get(headers, name)
        if not values or not values[0].isdigit():
            yield f"header {name} missing or not an integer: {values}"
    if body is not None and not any(v.startswith("application/json") for v in _get(headers, "content-type")):
        yield f"JSON body sent as {_get(headers, 'content-type')}"
    if 200 <= status < 300 and status != 201 and _get(headers, "location"):
        yield "Location on a non-201 success"
    if status == 201 and not _get(headers, "location"):
        yield "201 Created without Location (GitHub names the created resource)"
    for value in _get(headers, "link"):
        rels = list(link_urls(value))
        if not rels or len(rels) != value.count("<"):
            yield f"Link header not RFC 8288: {value!r}"
        for rel, url in rels:
            if urlsplit(url).path != path:
                yield f'Link rel="{rel}" points at {urlsplit(url).path}, not the listed resource {path}'
    if status in (403, 429) and isinstance(body, dict) and "rate limit" in str(body.get("message", "")):
        remaining = _get(headers, "x-ratelimit-remaining")
        if "secondary" in str(body.get("message")):
            if not _get(headers, "retry-after"):
                yield "secondary rate limit without Retry-After"
        elif remaining != ["0"]:
            yield f"primary rate limit with x-ratelimit-remaining {remaining}, not 0"


@functools.cache
def graphql_schema() -> Any:
    """GitHub's GraphQL schema (``graphql-core``, which MLflow already brings, builds it).

    ``assume_valid_sdl``: the published SDL defines two ``EnterpriseOwnerInfo`` fields
    twice, which a strict build refuses; nothing shipml touches is affected.
    """
    import graphql

    return graphql.build_schema(GRAPHQL.fetch().read_text(encoding="utf-8"), assume_valid_sdl=True)


def graphql_problems(payload: dict[str, Any], response: Any) -> list[str]:
    """What is wrong with a GraphQL request (query, variables) and the answer given to it.

    The query must validate against GitHub's schema and its variables coerce to their
    declared input types; the answer's ``data`` must hold exactly the selected fields
    with the schema's types (non-null respected unless ``errors`` explains the null).
    """
    import graphql
    from graphql.execution.values import get_variable_values

    schema = graphql_schema()
    try:
        document = graphql.parse(str(payload.get("query", "")))
    except graphql.GraphQLError as exc:
        return [f"query does not parse: {exc.message}"]
    out = [f"query: {e.message}" for e in graphql.validate(schema, document)]
    operations = [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    if out or len(operations) != 1:
        return out or ["expected exactly one operation"]
    (operation,) = operations
    coerced = get_variable_values(
        schema, operation.variable_definitions or (), payload.get("variables") or {}
    )
    if isinstance(coerced, list):
        return [f"variables: {e.message}" for e in coerced]
    if not isinstance(response, dict) or not ({"data", "errors"} & set(response)):
        return [f"a GraphQL answer is an object with data and/or errors, got {str(response)[:80]!r}"]
    errors = response.get("errors") or []
    if not isinstance(errors, list) or not all(isinstance(e, dict) and "message" in e for e in errors):
        out.append(f"errors must be a list of objects with a message: {errors!r}")
    root = (
        schema.mutation_type if operation.operation == graphql.OperationType.MUTATION else schema.query_type
    )
    if "data" in response:
        out += _selection(root, operation.selection_set, response["data"], "data", bool(errors))
    return out


def _selection(parent: Any, selection_set: Any, value: Any, at: str, errored: bool) -> list[str]:
    import graphql

    if value is None:
        return []
    if not isinstance(value, dict):
        return [f"{at}: expected an object, got {value!r}"]
    out, keys = [], set()
    for node in selection_set.selections:
        if not isinstance(node, graphql.FieldNode):
            out.append(f"{at}: fragments are not checked here")
            continue
        key = node.alias.value if node.alias else node.name.value
        keys.add(key)
        if key not in value:
            out.append(f"{at}.{key}: selected but missing")
            continue
        field_type = (
            graphql.TypeNameMetaFieldDef.type if key == "__typename" else parent.fields[node.name.value].type
        )
        out += _typed(field_type, node, value[key], f"{at}.{key}", errored)
    out += [f"{at}.{k}: not selected, yet answered" for k in sorted(set(value) - keys)]
    return out


def _typed(kind: Any, node: Any, value: Any, at: str, errored: bool) -> list[str]:
    import graphql

    if graphql.is_non_null_type(kind):
        if value is None:
            return [] if errored else [f"{at}: null for non-null {kind}"]
        kind = kind.of_type
    if value is None:
        return []
    if graphql.is_list_type(kind):
        if not isinstance(value, list):
            return [f"{at}: expected a list, got {value!r}"]
        return [
            p for i, item in enumerate(value) for p in _typed(kind.of_type, node, item, f"{at}[{i}]", errored)
        ]
    if graphql.is_leaf_type(kind):
        try:
            kind.parse_value(value)
        except (graphql.GraphQLError, TypeError, ValueError) as exc:
            return [f"{at}: {value!r} is not a {kind}: {exc}"]
        if kind.name == "Boolean" and not isinstance(value, bool):
            return [f"{at}: {value!r} is not a Boolean"]
        return []
    return _selection(kind, node.selection_set, value, at, errored)


def main() -> None:
    print(spec_path())
    print(GRAPHQL.fetch())


if __name__ == "__main__":
    main()
