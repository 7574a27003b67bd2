"""The `chatops` command as an operator uses it: real processes, exit codes, one-line errors."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest

from pool.fake import FakeLLM

pytestmark = pytest.mark.slow


async def chatops(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None, timeout: float = 60) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
    return proc.returncode, out.decode(), err.decode()


async def test_say_help_lists_the_commands_and_exits_zero() -> None:
    code, out, err = await chatops("say", "/help")
    assert code == 0, err
    assert "/status" in out and "/ask [--model <model>] <question>" in out
    assert Path("data/chatops.db").exists()  # the embedded default database


async def test_say_ask_returns_the_llm_answer(fake_llm: FakeLLM) -> None:
    code, out, err = await chatops("say", "/ask", "hi", env={"OPENAI_BASE_URL": fake_llm.url})
    assert code == 0, err
    assert "echo: hi" in out
    assert fake_llm.requests[0]["body"]["messages"][-1] == {"role": "user", "content": "hi"}


async def test_say_exits_non_zero_on_errors() -> None:
    code, out, _ = await chatops("say", "/stauts")
    assert code == 1 and "Did you mean: `/status`" in out
    code, out, _ = await chatops("say", "/ask", "hello")
    assert code == 1 and "No LLM is configured" in out
    code, out, _ = await chatops("say", "/help", "too", "many")
    assert code == 1 and "Usage: `/help [<command>]`" in out


async def test_unreachable_database_is_one_line_and_exit_code_2() -> None:
    code, out, err = await chatops("say", "/help", env={"DATABASE_URL": "postgresql://bot:s3cret@127.0.0.1:1/chatops"})
    assert code == 2
    assert err.startswith("error: database unreachable: postgresql://bot:***@127.0.0.1:1/chatops")
    assert len(err.strip().splitlines()) == 1 and "s3cret" not in err


async def test_bad_setting_stops_start_up_naming_it() -> None:
    code, _, err = await chatops("say", "/help", env={"OPENAI_BASE_URL": "ftp//nope"})
    assert code == 2
    assert err.strip().startswith("configuration error: OPENAI_BASE_URL:")
    assert len(err.strip().splitlines()) == 1


async def test_db_upgrade_and_check(fake_llm: FakeLLM) -> None:
    code, out, _ = await chatops("db", "upgrade")
    assert code == 0 and "latest schema" in out
    env = {"OPENAI_BASE_URL": fake_llm.url, "OPENAI_API_KEY": "sk-secret-value"}
    code, out, _ = await chatops("check", env=env)
    assert code == 0, out
    assert "OPENAI_API_KEY" in out and "(set, hidden)" in out and "sk-secret-value" not in out
    assert "ok    database: connected (sqlite)" in out
    assert "ok    llm openai (openai): answered 200" in out
    code, out, _ = await chatops("check", env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert code == 1 and "FAIL  llm openai (openai): no answer from http://127.0.0.1:9/v1/models" in out


async def test_check_probes_every_llm_deployment_with_its_key(fake_llm: FakeLLM, tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    config = tmp_path / "llm.toml"
    config.write_text(f"""
[[deployment]]
name = "main"
kind = "openai"
base_url = "{fake_llm.url}"
key = "sk-openai-test"
model = "gpt-4o-mini"

[[deployment]]
name = "gone"
kind = "openai"
base_url = "http://127.0.0.1:{closed}/v1"
model = "gpt-4o-mini"
""")
    env = {
        "ANTHROPIC_API_KEY": "sk-ant-test", "ANTHROPIC_BASE_URL": fake_llm.root,
        "GEMINI_API_KEY": "gm-test", "GEMINI_BASE_URL": fake_llm.root, "OLLAMA_HOST": fake_llm.root,
    }
    code, out, _ = await chatops("check", env=env)
    assert code == 0, out
    for line in ("ok    llm anthropic (anthropic): answered 200", "ok    llm gemini (gemini): answered 200",
                 "ok    llm ollama (ollama): answered 200"):
        assert line in out
    seen = {r["path"]: r["headers"] for r in fake_llm.listings}
    assert seen["/v1/models"]["x-api-key"] == "sk-ant-test" and "anthropic-version" in seen["/v1/models"]
    assert seen["/v1beta/models"]["x-goog-api-key"] == "gm-test" and "/api/tags" in seen
    assert "sk-ant-test" not in out and "gm-test" not in out
    # the TOML file replaces the environment's deployments: both of its entries are probed, by name
    fake_llm.listings.clear()
    code, out, _ = await chatops("check", env={**env, "LLM_CONFIG_FILE": str(config)})
    assert code == 1, out
    assert "ok    llm main (openai): answered 200" in out
    assert f"FAIL  llm gone (openai): no answer from http://127.0.0.1:{closed}/v1/models" in out
    assert [r["headers"].get("Authorization") for r in fake_llm.listings] == ["Bearer sk-openai-test"]


async def test_console_reads_commands_until_end_of_input() -> None:
    code, out, err = await chatops("console", stdin=b"/help status\n/nope\n")
    assert code == 0, err
    assert "/status [<pool>]" in out and "Unknown command `/nope`" in out


async def test_run_serves_http_and_stops_cleanly_on_sigterm() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--port", str(port),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(200):
                try:
                    health = await client.get("/health")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            ready = await client.get("/ready")
        assert health.status_code == 200 and ready.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    assert "stopping" in err.decode()
