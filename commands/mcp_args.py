"""Arguments of `/mcp call <tool> …`: `key=value` words (shell-style quoting) or one JSON object,
turned into the types the tool's input schema asks for."""
from __future__ import annotations

import json
import shlex
from typing import Any

from commands.errors import UserError
from commands.messages import t


def _types(prop: dict[str, Any]) -> list[str]:
    """The JSON types a schema property accepts (pydantic writes Optional[X] as anyOf [X, null])."""
    found: list[str] = []
    for branch in [prop, *prop.get("anyOf", []), *prop.get("oneOf", [])]:
        kind = branch.get("type")
        found.extend(kind if isinstance(kind, list) else [kind] if kind else [])
        if "enum" in branch and not kind:
            found.append("string")
    return found


def _coerce(raw: str, prop: dict[str, Any]) -> Any:
    types = _types(prop)
    if "null" in types and raw.lower() in ("null", "none"):
        return None
    if "integer" in types:
        try:
            return int(raw)
        except ValueError:
            pass
    if "number" in types:
        try:
            return float(raw)
        except ValueError:
            pass
    if "boolean" in types and raw.lower() in ("true", "false", "yes", "no", "1", "0", "on", "off"):
        return raw.lower() in ("true", "yes", "1", "on")
    if ("array" in types or "object" in types) and raw[:1] in "[{":
        try:
            return json.loads(raw)
        except ValueError:
            pass
    # a string, or a value the schema check will reject with a clear message
    return raw


def parse_arguments(text: str, schema: dict[str, Any], locale: str = "en") -> dict[str, Any]:
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError as e:
            raise UserError(t("mcp.bad_json", locale, error=e)) from None
        if not isinstance(value, dict):
            raise UserError(t("mcp.bad_json", locale, error="expected an object"))
        return value
    try:
        words = shlex.split(text)
    except ValueError as e:
        raise UserError(t("mcp.bad_quotes", locale, error=e)) from None
    props: dict[str, Any] = schema.get("properties") or {}
    out: dict[str, Any] = {}
    for word in words:
        key, sep, raw = word.partition("=")
        if not sep or not key:
            raise UserError(t("mcp.not_key_value", locale, token=word))
        out[key] = _coerce(raw, props.get(key, {}))
    return out


def usage(name: str, schema: dict[str, Any]) -> str:
    required = set(schema.get("required") or [])
    parts = [name]
    for key, prop in (schema.get("properties") or {}).items():
        kind = "|".join(x for x in _types(prop) if x != "null") or "value"
        parts.append(f"{key}=<{kind}>" if key in required else f"[{key}=<{kind}>]")
    return " ".join(parts)
