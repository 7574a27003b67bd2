"""TokenStore: secrets stored only as hashes, revocation ends sessions, login links work once and expire."""
from __future__ import annotations

from sqlalchemy import select

from bot.storage.access import AccessStore
from bot.storage.engine import create_engine
from bot.storage.migrate import upgrade
from bot.storage.models import TOKENS
from bot.storage.tokens import LINK_SECONDS, TOKEN_PREFIX, TokenStore, session_name


async def test_tokens_sessions_and_links(db_url: str) -> None:
    engine = create_engine(db_url)
    now = [1_000_000.0]
    try:
        await upgrade(engine)
        store = TokenStore(engine, clock=lambda: now[0])
        secret = await store.create("grafana", "viewer", "console:ops")
        assert secret.startswith(TOKEN_PREFIX)
        async with engine.connect() as conn:
            stored = [r for (r,) in (await conn.execute(select(TOKENS.c.token_hash))).all()]
        assert secret not in stored and len(stored[0]) == 64  # only the SHA-256
        found = await store.check(secret)
        assert found is not None and (found.name, found.role, found.kind) == ("grafana", "viewer", "token")
        assert await store.check(secret + "x") is None and await store.check("") is None
        try:
            await store.create("grafana", "admin", "console:ops")
            raise AssertionError("a second live token of the same name")
        except ValueError as e:
            assert "revoke it first" in str(e)

        cookie = await store.open_session(session_name("grafana"), "viewer", None, "token")
        assert (await store.check(cookie)) is not None
        assert await store.revoke("grafana", "console:ops") == 2  # the token and its browser session
        assert await store.check(secret) is None and await store.check(cookie) is None

        link = await store.create_link("slack:T1/U1", "operator")
        assert await store.use_link(link) == ("slack:T1/U1", "operator")
        assert await store.use_link(link) is None  # once
        late = await store.create_link("slack:T1/U1", "operator")
        now[0] += LINK_SECONDS + 1
        assert await store.use_link(late) is None  # expired

        actions = [e.action for e in await AccessStore(engine).audit(since=0, limit=50)]
        assert actions.count("tokens.create") == 1 and "tokens.revoke" in actions and "web.login" in actions
    finally:
        await engine.dispose()
