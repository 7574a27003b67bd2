"""Provider API keys encrypted at rest: the secret key that encrypts them, and which setting each replaces.

`CHATOPS_SECRET_KEY` holds one or more Fernet keys, comma-separated, newest first. Rotation: put the new key
first, run `chatops keys rotate` (every row re-encrypted with it), then drop the old one. Keys are set only
through the CLI (`chatops keys set openai`), never through chat: no chat command writes this table.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, get_args

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pool import LLMSettings

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet
    from sqlalchemy.ext.asyncio import AsyncEngine

NO_KEY = "set CHATOPS_SECRET_KEY (generate one with `chatops keys generate`)"


class SecretKeyError(Exception):
    """No secret key, a malformed one, or a stored value no configured key can decrypt; one line, no secret."""


class KeySettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True)

    chatops_secret_key: SecretStr | None = Field(
        None,
        description="Fernet key(s) encrypting the provider keys stored by `chatops keys set`;"
        " comma-separated, newest first (`chatops keys generate` makes one)",
    )

    @field_validator("chatops_secret_key")
    @classmethod
    def _fernet_keys(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None:
            return v
        _multi(v)  # raises ValueError without echoing the value
        return v


def _provider_keys() -> dict[str, str]:
    """`openai` → `openai_api_key`, …: every secret `<PROVIDER>_API_KEY` the LLM settings declare."""
    found: dict[str, str] = {}
    for field, info in LLMSettings.model_fields.items():
        if field.endswith("_api_key") and SecretStr in (info.annotation, *get_args(info.annotation)):
            found[field.removesuffix("_api_key")] = field
    return found


PROVIDER_KEYS: dict[str, str] = _provider_keys()


def setting_for(name: str) -> str:
    """The LLM setting a stored key replaces; unknown names are refused with the known ones."""
    try:
        return PROVIDER_KEYS[name]
    except KeyError:
        raise ValueError(f"unknown key {name!r}; known: {', '.join(PROVIDER_KEYS)}") from None


def generate_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _multi(value: SecretStr) -> MultiFernet:
    from cryptography.fernet import Fernet, MultiFernet

    parts = [p.strip() for p in value.get_secret_value().split(",") if p.strip()]
    if not parts:
        raise ValueError(NO_KEY)
    fernets = []
    for i, part in enumerate(parts, 1):
        try:
            fernets.append(Fernet(part))
        except (ValueError, TypeError):
            # the position, never the value: the text may be a real key with a typo
            raise ValueError(f"key #{i} is not a Fernet key (32 url-safe base64 bytes; `chatops keys generate`)") from None
    return MultiFernet(fernets)


def fernet(settings: KeySettings) -> MultiFernet:
    """The configured keys, newest first (the one that encrypts); SecretKeyError when none is set."""
    if settings.chatops_secret_key is None:
        raise SecretKeyError(NO_KEY)
    return _multi(settings.chatops_secret_key)


async def with_stored_keys(llm: LLMSettings, engine: AsyncEngine, keys: KeySettings) -> LLMSettings:
    """The LLM settings with every stored key in place of its environment value. Without rows nothing is
    read or needed; rows without a secret key, or rows it cannot decrypt, raise SecretKeyError."""
    from bot.storage.secrets import SecretStore

    names = [s.name for s in await SecretStore(engine, None).list()]
    if not names:
        return llm
    if keys.chatops_secret_key is None:
        raise SecretKeyError(f"provider keys are stored encrypted in the database ({', '.join(names)}): {NO_KEY}"
                             " — the same key that encrypted them")
    stored = await SecretStore(engine, fernet(keys)).read_all()
    update = {PROVIDER_KEYS[n]: SecretStr(v) for n, v in stored.items() if n in PROVIDER_KEYS}
    return llm.model_copy(update=update)
