"""What the audit trail keeps of arguments and typed lines: secret-looking values masked, the rest intact."""
from __future__ import annotations

from bot.storage.access import MASK, mask


def test_secret_looking_keys_and_pairs_in_text_are_masked() -> None:
    kept = mask({
        "text": '/mcp call db.query sql="select 1" password=hunter2 api_key: "two words" monkey=ok',
        "token": "xoxb-1", "args": {"Authorization": "Bearer x", "repo": "acme/api"}, "lines": ["auth=zz ok"],
    })
    assert kept["text"] == f'/mcp call db.query sql="select 1" password={MASK} api_key: {MASK} monkey={MASK}'
    assert kept["token"] == MASK and kept["args"] == {"Authorization": MASK, "repo": "acme/api"}
    assert kept["lines"] == [f"auth={MASK} ok"]
    assert mask({"n": 3, "text": "/status pool"}) == {"n": 3, "text": "/status pool"}
