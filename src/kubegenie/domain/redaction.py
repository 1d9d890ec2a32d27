"""Secrets are never shown: values of Secrets and of sensitive-looking environment variables are redacted
in every output, whatever surface prints it."""

from __future__ import annotations

import re
from typing import Any

REDACTED = "<redacted>"
_SENSITIVE = re.compile(r"pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential|auth|access[_-]?key"
                        r"|client[_-]?secret|dsn|connection[_-]?string", re.IGNORECASE)


def sensitive_name(name: str) -> bool:
    """Names such as DB_PASSWORD, apiKey, AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN."""
    return bool(_SENSITIVE.search(name))


def env_value(env: dict[str, Any]) -> str:
    """How one container env entry may be shown: literal values of sensitive names are redacted; references
    say where the value comes from without resolving it."""
    source = env.get("valueFrom") or {}
    if "secretKeyRef" in source:
        ref = source["secretKeyRef"] or {}
        return f"<from secret {ref.get('name')}/{ref.get('key')}>"
    if "configMapKeyRef" in source:
        ref = source["configMapKeyRef"] or {}
        return f"<from configmap {ref.get('name')}/{ref.get('key')}>"
    if "fieldRef" in source:
        return f"<field {(source['fieldRef'] or {}).get('fieldPath')}>"
    if "resourceFieldRef" in source:
        return f"<resource {(source['resourceFieldRef'] or {}).get('resource')}>"
    value = str(env.get("value", ""))
    return REDACTED if value and sensitive_name(str(env.get("name", ""))) else value


def redact_text(text: str) -> str:
    """Mask `key=value`/`key: value` pairs with sensitive keys inside free text such as log lines."""
    return re.sub(r"(?i)\b([\w.-]*(?:password|passwd|secret|token|api[_-]?key)[\w.-]*)(\s*[=:]\s*)(\S+)",
                  lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
