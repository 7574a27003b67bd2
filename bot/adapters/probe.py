"""One HTTP reachability check for `chatops check`: the answer's status in a sentence, or why there was none."""
from __future__ import annotations

TIMEOUT = 5.0


async def http_probe(url: str, headers: dict[str, str], method: str = "GET") -> str:
    import httpx  # only `chatops check` probes; the settings of every mode import this module

    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        try:
            resp = await client.request(method, url, headers=headers)
        except httpx.HTTPError as e:
            raise RuntimeError(f"no answer from {url} ({type(e).__name__})") from None
    if resp.status_code in (401, 403):
        raise RuntimeError(f"{url} refused the credentials ({resp.status_code})")
    if resp.status_code >= 400:
        raise RuntimeError(f"{url} answered {resp.status_code}")
    return f"answered {resp.status_code}"
