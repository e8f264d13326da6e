"""Check the Xero sandbox's answers against Xero's official OpenAPI spec (the copies shipped in
integrations/xero/sandbox/openapi/).

Every 2xx and 400 answer of the accounting API is validated by `openapi-core` against its
operation (a 400 of an operation that declares none, against the spec's `Error` schema); the
identity service's `/connections` against xero-identity.yaml and `/connect/token` against its
`AccessToken` schema. The spec declares no `additionalProperties: false`, so on top of that every
key must be one the spec names for that place, or one Xero's own examples for that operation
show (`DateString`, the envelope's `Id`/`ProviderName`/…).
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from urllib.parse import parse_qsl

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator

SPEC_DIR = Path(__file__).resolve().parents[4] / "integrations" / "xero" / "sandbox" / "openapi"
HOST = "https://api.xero.com"
API_PREFIX = "/api.xro/2.0"
TOKEN_KEYS_BEYOND_SCHEMA = {"scope"}  # Xero's token answer names its scopes; the schema omits it
# Every accounting answer's envelope, as the spec's examples show it (the schemas omit it).
ENVELOPE_KEYS = {"Id", "Status", "ProviderName", "DateTimeUTC"}


def _load(name: str) -> dict:
    with open(SPEC_DIR / name, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _example_keys(node, found: set[str]) -> None:
    """Every object key in the examples under `node` (JSON-string examples parsed)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("example", "value") and isinstance(value, str) and value[:1] in "[{":
                with contextlib.suppress(ValueError):
                    _collect_keys(json.loads(value), found)
            elif key == "example":
                _collect_keys(value, found)
            else:
                _example_keys(value, found)
    elif isinstance(node, list):
        for value in node:
            _example_keys(value, found)


def _collect_keys(value, found: set[str]) -> None:
    if isinstance(value, dict):
        found.update(value)
        for inner in value.values():
            _collect_keys(inner, found)
    elif isinstance(value, list):
        for inner in value:
            _collect_keys(inner, found)


class SpecCheck:
    def __init__(self):
        self.accounting_doc = _load("xero_accounting.yaml")
        self.identity_doc = _load("xero-identity.yaml")
        config = Config(spec_validator_cls=None)  # the spec is Xero's; we check answers only
        self.accounting = OpenAPI.from_dict(self.accounting_doc, config=config)
        self.identity = OpenAPI.from_dict(self.identity_doc, config=config)
        self._templates = [
            (
                re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$", re.IGNORECASE),
                template,
            )
            for template in self.accounting_doc["paths"]
        ]

    # -- resolving ---------------------------------------------------------------------------

    def _resolve(self, doc: dict, schema: dict) -> dict:
        while "$ref" in schema:
            target = doc
            for part in schema["$ref"].lstrip("#/").split("/"):
                target = target[part]
            schema = target
        return schema

    def _operation(self, path: str, method: str) -> dict | None:
        for pattern, template in self._templates:
            if pattern.match(path):
                operation = self.accounting_doc["paths"][template].get(method.lower())
                if operation is not None:
                    return operation
        return None

    def _response_schema(self, doc: dict, operation: dict, status: int) -> dict | None:
        declared = operation.get("responses", {}).get(str(status))
        if declared is None:
            return self.accounting_doc["components"]["schemas"]["Error"] if status == 400 else None
        content = self._resolve(doc, declared).get("content", {}).get("application/json")
        return None if content is None else content.get("schema")

    # -- the strict key check ----------------------------------------------------------------

    def _properties(self, doc: dict, schema: dict) -> dict:
        schema = self._resolve(doc, schema)
        properties = dict(schema.get("properties", {}))
        for part in schema.get("allOf", []):
            properties.update(self._properties(doc, part))
        return properties

    def undeclared(
        self, doc, value, schema, allowed: set[str], element_schema, where="$"
    ) -> list[str]:
        """Keys of `value` the spec does not name at their place (nor its examples)."""
        schema = self._resolve(doc, schema)
        problems = []
        if isinstance(value, list) and schema.get("type") == "array":
            for index, item in enumerate(value):
                problems += self.undeclared(
                    doc, item, schema["items"], allowed, element_schema, f"{where}[{index}]"
                )
        elif isinstance(value, dict):
            properties = self._properties(doc, schema)
            if (
                element_schema is not None
                and "ValidationErrors" in properties
                and where.startswith("$.Elements")
            ):
                properties = {**self._properties(doc, element_schema), **properties}
            if not properties:
                return []
            for key, inner in value.items():
                if key in properties:
                    problems += self.undeclared(
                        doc, inner, properties[key], allowed, element_schema, f"{where}.{key}"
                    )
                elif key not in allowed and not (where == "$" and key in ENVELOPE_KEYS):
                    problems.append(f"{where}.{key} is not in the spec")
        return problems

    # -- one answer --------------------------------------------------------------------------

    def check(
        self, method: str, path: str, query: str, status: int, content_type: str, body: bytes
    ) -> list[str]:
        """Problems with one answer; [] when it matches (or is not one this check covers)."""
        if path.startswith(API_PREFIX + "/") and (200 <= status < 300 or status == 400):
            return self._check_accounting(method, path, query, status, content_type, body)
        if path.lower() == "/connections" and method == "GET" and status == 200:
            request = MockRequest(HOST, "get", "/Connections")
            return self._validate(self.identity, request, status, content_type, body)
        if path.lower().startswith("/connections/") and method == "DELETE" and status == 204:
            request = MockRequest(HOST, "delete", "/Connections" + path[len("/connections") :])
            return self._validate(self.identity, request, status, content_type, body)
        if path == "/connect/token" and status == 200:
            return self._check_token(body)
        return []

    def _validate(self, api: OpenAPI, request, status, content_type, body) -> list[str]:
        response = MockResponse(body, status_code=status, content_type=content_type.split(";")[0])
        try:
            api.validate_response(request, response)
        except ResponseNotFound:
            raise
        except Exception as error:  # openapi-core's errors carry the schema errors as causes
            cause = getattr(error, "__cause__", None)
            return [f"{type(error).__name__}: {error} {cause or ''}"]
        return []

    def _check_accounting(self, method, path, query, status, content_type, body) -> list[str]:
        api_path = path[len(API_PREFIX) :]
        operation = self._operation(api_path, method)
        if operation is None:
            return [f"{method} {api_path} is not an operation of the spec"]
        if status == 204 and "204" in operation.get("responses", {}):
            # "No content", as the spec declares for deletes such as DELETE /Items/{ItemID}.
            return [] if not body else [f"{method} {path} answered 204 with a body"]
        if not content_type.startswith("application/json"):
            return [f"{method} {path} answered {status} with {content_type}, not JSON"]
        request = MockRequest(HOST, method.lower(), path, args=dict(parse_qsl(query)))
        try:
            problems = self._validate(self.accounting, request, status, content_type, body)
        except ResponseNotFound:
            error_schema = self.accounting_doc["components"]["schemas"]["Error"]
            validator = OAS30Validator(
                {**error_schema, "components": self.accounting_doc["components"]}
            )
            problems = [error.message for error in validator.iter_errors(json.loads(body))]
        schema = self._response_schema(self.accounting_doc, operation, status)
        if schema is not None and body:
            allowed: set[str] = set()
            _example_keys(
                [
                    self._resolve(self.accounting_doc, r)
                    for r in operation.get("responses", {}).values()
                ],
                allowed,
            )
            problems += self.undeclared(
                self.accounting_doc,
                json.loads(body),
                schema,
                allowed,
                self._entity_schema(operation),
            )
        return problems

    def _entity_schema(self, operation: dict) -> dict | None:
        """The schema of the records an operation answers (what a 400 echoes in `Elements`)."""
        schema = self._response_schema(self.accounting_doc, operation, 200)
        if schema is None:
            return None
        for value in self._properties(self.accounting_doc, schema).values():
            value = self._resolve(self.accounting_doc, value)
            if value.get("type") == "array" and "$ref" in value.get("items", {}):
                return value["items"]
        return None

    def _check_token(self, body: bytes) -> list[str]:
        schema = self.identity_doc["components"]["schemas"]["AccessToken"]
        answer = json.loads(body)
        problems = [e.message for e in OAS30Validator(schema).iter_errors(answer)]
        allowed = set(schema["properties"]) | TOKEN_KEYS_BEYOND_SCHEMA
        problems += [f"token answer has {key}" for key in answer if key not in allowed]
        return problems
