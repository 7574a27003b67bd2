"""Application commands generated from Command records, and interaction options read back."""
from __future__ import annotations

from bot.adapters.discord.schema import command_payload, option_values
from commands.registry import Arg, Command, Option


async def _noop(ctx, args):  # pragma: no cover - never called
    raise AssertionError


def test_args_and_options_become_typed_options_required_first() -> None:
    cmd = Command(
        name="alerts", help="Manage alert rules: list, ack or silence them. " * 5, handler=_noop,
        args=(Arg("action", "what to do", choices=("list", "ack", "silence")), Arg("rule", "rule name", required=False)),
        options=(Option("minutes", "how long"), Option("all", "every rule", flag=True)),
    )
    payload = command_payload(cmd)
    assert payload["name"] == "alerts" and payload["type"] == 1 and len(payload["description"]) == 100
    assert [(o["name"], o["type"], o["required"]) for o in payload["options"]] == [
        ("action", 3, True), ("rule", 3, False), ("minutes", 3, False), ("all", 5, False),
    ]
    assert payload["options"][0]["choices"] == [{"name": c, "value": c} for c in ("list", "ack", "silence")]


def test_subcommand_options_are_flattened_with_their_path() -> None:
    options = [{"name": "silence", "type": 1, "options": [
        {"name": "rule", "type": 3, "value": "cpu_high"}, {"name": "minutes", "type": 4, "value": 60}]}]
    assert option_values(options) == (["silence"], {"rule": "cpu_high", "minutes": 60})


def test_a_subcommand_fills_the_first_positional_of_the_command() -> None:
    import json
    from pathlib import Path

    from bot.adapters.discord.gateway import command_line
    from commands.registry import Registry

    alerts = Command(name="alerts", help="alerts", handler=_noop,
                     args=(Arg("action", "what to do"), Arg("rule", "rule"), Arg("minutes", "how long", required=False)))
    data = json.loads((Path(__file__).resolve().parents[3] / "fixtures/discord/application_command.json").read_text())["data"]
    name, line, _ = command_line(Registry([alerts]), data)  # /alerts silence rule:cpu_high minutes:60
    assert (name, line) == ("alerts", "silence cpu_high 60")
    assert alerts.parse(line).values == {"action": "silence", "rule": "cpu_high", "minutes": "60"}
