"""Tables. Times are UNIX epoch seconds (float) so that SQLite and PostgreSQL bucket them alike."""
from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Table, Text, UniqueConstraint, inspect
from sqlmodel import Field, SQLModel


class Status(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class Execution(SQLModel, table=True):
    """One piece of work: a command, a GitHub event, a scheduled job. Written before the ack."""

    __tablename__ = "execution"
    __table_args__ = (
        Index("ix_execution_claim", "status", "priority", "id"),
        Index("ix_execution_created_status_latency", "created_at", "status", "latency_ms"),  # reports, budgets
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)
    trigger: str = Field(max_length=32)
    source: str = Field(max_length=32)
    requester: str = Field(default="", max_length=255)  # the identity: slack:T1/U1, discord:G/U, github:login…
    roles: str = Field(default="", max_length=255)  # the requester's roles when admitted, comma-separated
    conversation: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    args: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    locale: str = Field(default="en", max_length=16)
    priority: int = 0
    status: str = Field(default=Status.PENDING, max_length=16)
    attempts: int = 0
    max_attempts: int = 3
    available_at: float = 0.0
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_expires_at: float | None = None
    affinity: str | None = Field(default=None, max_length=128, index=True)
    idempotency_key: str | None = Field(default=None, max_length=255, unique=True)
    provider: str | None = Field(default=None, max_length=64)
    model: str | None = Field(default=None, max_length=128)
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    latency_ms: float | None = None
    error: str | None = Field(default=None, sa_column=Column(Text))
    result_summary: str | None = Field(default=None, sa_column=Column(Text))
    reply: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    raw: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    tool_transcript: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))  # /ask tool calls
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None


class Delivery(SQLModel, table=True):
    """A side effect already carried out, keyed so that a retried execution does not repeat it.

    `<execution id>:live` holds the platform's id of the execution's message (edited in place);
    `<execution id>:final` exists once the final reply went out.
    """

    __tablename__ = "delivery"

    key: str = Field(primary_key=True, max_length=255)
    execution_id: int = Field(index=True)
    platform: str = Field(max_length=32)
    message_ref: str | None = Field(default=None, max_length=255)
    created_at: float = 0.0


class GitHubDelivery(SQLModel, table=True):
    """A webhook delivery already stored (dedupe on X-GitHub-Delivery), with its body byte-exact for audit."""

    __tablename__ = "github_delivery"

    delivery_id: str = Field(primary_key=True, max_length=64)
    event: str = Field(max_length=64)
    action: str | None = Field(default=None, max_length=64)
    repo: str | None = Field(default=None, max_length=255)
    executions: int = 0
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    received_at: float = 0.0


class GitHubReview(SQLModel, table=True):
    """Review state of one PR: the head SHA last reviewed and the findings already raised on it."""

    __tablename__ = "github_review"

    repo: str = Field(primary_key=True, max_length=255)
    number: int = Field(primary_key=True)
    head_sha: str | None = Field(default=None, max_length=64)
    findings: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    notes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    rounds: int = 0
    updated_at: float = 0.0


class ButtonPayload(SQLModel, table=True):
    """The command line behind a button whose id would exceed the platform's limit (Discord: 100
    characters); the button carries `~<key>` and a click looks the line up here."""

    __tablename__ = "button_payload"

    key: str = Field(primary_key=True, max_length=64)
    line: str = Field(sa_column=Column(Text, nullable=False))
    created_at: float = 0.0


class AccessGrant(SQLModel, table=True):
    """A role given at run time by `/access grant` (the policy file gives the rest). `subject` is an identity
    (`slack:T1/U1`) or a group selector (`slack-group:T1/S1`, `discord-role:G/R`, `github-team:org/slug`)."""

    __tablename__ = "access_grant"
    __table_args__ = (UniqueConstraint("subject", "role", name="uq_access_grant_subject_role"),)

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=255)
    role: str = Field(max_length=64)
    granted_by: str = Field(max_length=255)
    granted_at: float = 0.0


class AuditEvent(SQLModel, table=True):
    """Something that happened or was refused: who (`actor`, an identity), where (`place`, a conversation),
    what (`action`, `target`), how it ended (`outcome`), with details (secrets masked). An admitted command is
    its Execution row (same who/where/when/outcome), so the acknowledgement path writes no second row."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_actor_at", "actor", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: float = Field(default=0.0, index=True)
    actor: str = Field(max_length=255)
    platform: str = Field(max_length=32)
    place: str = Field(max_length=255)
    action: str = Field(max_length=128)
    target: str | None = Field(default=None, max_length=255)
    outcome: str = Field(max_length=32)
    detail: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    execution_id: int | None = Field(default=None, index=True)


class ApiToken(SQLModel, table=True):
    """A bearer token for the web surfaces (`kind="token"`, from `chatops tokens create`) or a browser
    session (`kind="session"`); only its SHA-256 is stored."""

    __tablename__ = "api_token"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_api_token_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="token", max_length=16)
    name: str = Field(max_length=128)
    role: str = Field(max_length=64)
    subject: str | None = Field(default=None, max_length=255)
    token_hash: str = Field(max_length=64)
    created_by: str = Field(max_length=255)
    created_at: float = 0.0
    expires_at: float | None = None
    revoked_at: float | None = None
    last_used_at: float | None = None


class LoginLink(SQLModel, table=True):
    """A one-time web login (`/access link`), valid a few minutes; only its secret's SHA-256 is stored."""

    __tablename__ = "login_link"

    secret_hash: str = Field(primary_key=True, max_length=64)
    subject: str = Field(max_length=255)
    role: str = Field(max_length=64)
    created_at: float = 0.0
    expires_at: float = 0.0
    used_at: float | None = None


class StoredSecret(SQLModel, table=True):
    """A provider API key encrypted at rest (Fernet); set only through the CLI (`chatops keys set`)."""

    __tablename__ = "stored_secret"

    name: str = Field(primary_key=True, max_length=64)
    ciphertext: str = Field(sa_column=Column(Text, nullable=False))
    created_at: float = 0.0
    updated_at: float = 0.0


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Table (`model.__table__`, which SQLModel sets at run time without declaring it)."""
    table = inspect(model).local_table
    assert isinstance(table, Table)
    return table


class RateWindow(SQLModel, table=True):
    """Requests counted for one rate-limit key (`user:slack:T1/U1`, `channel:…`, `github:…`) in one fixed
    window (`window` = start // period). Each process adds its counts about once a second (bot/ratelimit.py)."""

    __tablename__ = "rate_window"

    key: str = Field(primary_key=True, max_length=300)
    window: int = Field(primary_key=True, sa_type=BigInteger)
    used: int = 0


class Confirmation(SQLModel, table=True):
    """A pending "run this writing tool?" click: one use, by the person who asked, within `expires_at`.
    Only the nonce's SHA-256 is stored; the button carries the nonce."""

    __tablename__ = "confirmation"

    nonce_hash: str = Field(primary_key=True, max_length=64)
    requester: str = Field(max_length=255)
    tool: str = Field(max_length=255)
    arguments: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: float = 0.0
    expires_at: float = 0.0
    used_at: float | None = None
    used_by: str | None = Field(default=None, max_length=255)


class EffectMarker(SQLModel, table=True):
    """Written (and committed) before an execution starts a side effect (a writing tool call): a re-claimed
    attempt that finds it does not start the effect again."""

    __tablename__ = "effect_marker"

    execution_id: int = Field(primary_key=True)
    key: str = Field(primary_key=True, max_length=255)
    started_at: float = 0.0


EXEC = table_of(Execution)
GRANTS = table_of(AccessGrant)
AUDIT = table_of(AuditEvent)
TOKENS = table_of(ApiToken)
LOGIN_LINKS = table_of(LoginLink)
RATE_WINDOWS = table_of(RateWindow)
CONFIRMATIONS = table_of(Confirmation)
EFFECTS = table_of(EffectMarker)
SECRETS = table_of(StoredSecret)
