"""Chat input → command lines: mentions, and Discord options rebuilt into the line the parser reads."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.lines import mention_line, options_line, split_text
from commands import Registry, default_commands
from commands.registry import Arg, Command, Option

REGISTRY = Registry(default_commands())


async def _noop(ctx, args):  # pragma: no cover - never called
    raise AssertionError


CMD = Command(
    name="probe", help="", handler=_noop,
    args=(Arg("target", "a word"), Arg("question", "the rest", rest=True, required=False)),
    options=(Option("since", "a value"), Option("all", "a flag", flag=True)),
)


def test_mentions_become_commands_or_questions() -> None:
    assert mention_line(REGISTRY, "<@U00FAKEBOT> status") == "/status"
    assert mention_line(REGISTRY, "<@123456> help ask") == "/help ask"
    assert mention_line(REGISTRY, "<@!123456> ask summarize this thread") == "/ask summarize this thread"
    assert mention_line(REGISTRY, "<@U1> help me with this deploy") == "/ask help me with this deploy"
    assert mention_line(REGISTRY, "<@U1> what's new?") == "/ask what's new?"
    assert mention_line(REGISTRY, "<@U1> /status") == "/status"


word = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20).filter(lambda s: not ('"' in s and "'" in s))
rest = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).map(str.strip).filter(
    lambda s: s and not s.startswith("-") and s[0] not in "\"'"
)


@given(target=word, question=st.none() | rest, since=st.none() | word, flag=st.booleans())
def test_options_line_parses_back_to_the_same_values(target: str, question: str | None, since: str | None, flag: bool) -> None:
    values = {"target": target, "question": question, "since": since, "all": flag}
    parsed = CMD.parse(options_line(CMD, values)).values
    assert parsed == {"target": target, "question": question, "since": since, "all": flag}


def test_split_text_keeps_every_character_and_prefers_line_breaks() -> None:
    text = "\n".join(f"line {i} " + "x" * (i % 50) for i in range(400))
    pieces = split_text(text, 500)
    assert all(len(p) <= 500 for p in pieces)
    assert "\n".join(pieces) == text
    assert split_text("y" * 1200, 500) == ["y" * 500, "y" * 500, "y" * 200]
