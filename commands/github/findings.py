"""Review findings: parsed from the model's JSON answer, fingerprinted so a finding is raised once."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from commands.github.safety import neutralize

_WORDS = re.compile(r"[^a-z0-9]+")
_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


@dataclass(slots=True)
class ParsedReview:
    summary: str
    findings: list[dict[str, Any]] = field(default_factory=list)
    structured: bool = True


def fingerprint(kind: str, file: str | None, text: str) -> str:
    """Stable across rounds: line numbers move when commits land, so they are not part of it."""
    norm = _WORDS.sub(" ", text.lower()).strip()[:200]
    return hashlib.sha1(f"{kind}|{file or ''}|{norm}".encode()).hexdigest()[:16]


def _json_object(text: str) -> dict[str, Any] | None:
    m = _OBJECT.search(text)
    if not m:
        return None
    try:
        data = json.loads(m.group(0))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def parse_review(text: str) -> ParsedReview:
    """The model's answer; when it is not the JSON asked for, its text becomes the summary."""
    data = _json_object(text)
    if data is None:
        return ParsedReview(neutralize(text.strip()) or "(empty answer)", structured=False)
    out = ParsedReview(neutralize(str(data.get("summary") or "").strip()))
    for risk in data.get("risks") or []:
        if isinstance(risk, str) and risk.strip():
            out.findings.append(_finding("risk", None, None, risk))
    for s in data.get("suggestions") or []:
        if isinstance(s, dict) and str(s.get("text") or "").strip():
            line = s.get("line")
            out.findings.append(_finding("suggestion", str(s.get("file") or "") or None,
                                         int(line) if isinstance(line, int | float) else None, str(s["text"])))
        elif isinstance(s, str) and s.strip():
            out.findings.append(_finding("suggestion", None, None, s))
    return out


def _finding(kind: str, file: str | None, line: int | None, text: str) -> dict[str, Any]:
    text = neutralize(text.strip())
    file = neutralize(file) if file else None
    return {"fp": fingerprint(kind, file, text), "kind": kind, "file": file, "line": line, "text": text}


def parse_json(text: str) -> dict[str, Any] | None:
    return _json_object(text)


def location(f: dict[str, Any]) -> str:
    if not f.get("file"):
        return ""
    return f"`{f['file']}:{f['line']}` " if f.get("line") else f"`{f['file']}` "
