from __future__ import annotations

import pytest

from commands import default_commands
from commands.errors import UnknownCommand, UsageError
from commands.model import Reply
from commands.registry import Arg, Args, Command, Option, Registry


async def _h(ctx, args: Args) -> Reply:  # pragma: no cover - never run, only parsed
    return Reply.text("")


CMD = Command(
    "mcp",
    "call a tool",
    _h,
    args=(Arg("action", "what", choices=("list", "call")), Arg("rest", "tool args", required=False, rest=True)),
    options=(Option("model", "alias"), Option("post", "post it", flag=True)),
)


def test_rest_argument_keeps_apostrophes_and_quotes_verbatim() -> None:
    args = CMD.parse("""call db.query sql="SELECT 'x'" it's fine""")
    assert args["action"] == "call"
    assert args["rest"] == """db.query sql="SELECT 'x'" it's fine"""


def test_options_and_flags_before_positionals() -> None:
    args = CMD.parse("--model fast --post list")
    assert args.values == {"model": "fast", "post": True, "action": "list", "rest": None}
    assert CMD.parse("--model=smart list")["model"] == "smart"


def test_bad_choice_unknown_option_and_missing_argument_give_the_usage() -> None:
    with pytest.raises(UsageError) as e:
        CMD.parse("delete")
    assert "action must be one of: list, call" in str(e.value)
    assert e.value.usage == "/mcp [--model <model>] [--post] <list|call> [<rest>…]"
    with pytest.raises(UsageError, match="unknown option --nope"):
        CMD.parse("--nope list")
    with pytest.raises(UsageError, match="missing <action>"):
        CMD.parse("")
    with pytest.raises(UsageError, match="needs a value"):
        CMD.parse("--model")


def test_extra_arguments_are_refused() -> None:
    help_cmd = Registry(default_commands()).get("help")
    with pytest.raises(UsageError, match="unexpected argument: please now"):
        help_cmd.parse("status please now")


def test_unknown_command_suggests_close_matches() -> None:
    reg = Registry(default_commands())
    with pytest.raises(UnknownCommand) as e:
        reg.resolve("/stauts")
    assert e.value.suggestions[0] == "status"


def test_lookup_accepts_slash_case_and_full_width_space() -> None:
    reg = Registry(default_commands())
    cmd, args = reg.resolve("/ASK\u3000今日の天気は？")
    assert cmd.name == "ask" and args["question"] == "今日の天気は？"
    cmd, args = reg.resolve("ask hello there")
    assert args["question"] == "hello there"


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        Registry([CMD, CMD])


def test_hidden_commands_are_not_listed() -> None:
    names = [c.name for c in Registry(default_commands()).visible()]
    assert "noop" not in names and names[:3] == ["help", "status", "ask"]


def test_a_usage_error_is_written_in_the_askers_language() -> None:
    from commands.dispatch import usage_reply

    with pytest.raises(UsageError) as e:
        CMD.parse("--nope list")
    assert usage_reply(e.value, "ja").plain_text() == "--nope というオプションはありません\n使い方: `" + CMD.usage() + "`"
    assert usage_reply(e.value, "en").plain_text() == "unknown option --nope\nUsage: `" + CMD.usage() + "`"
