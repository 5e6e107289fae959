"""The click-free front end for ``status``, ``budget check`` and ``alerts check``.

It must take only command lines it understands completely, leave everything else to click, and
do exactly what the click commands do with what it takes: the same output on both streams and
the same exit status.  Its option table must match the click commands', so the two cannot drift.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tokenwallet.cli import quick
from tokenwallet.cli.root import cli

NOW = "2026-11-15T12:00:00Z"


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENWALLET_NOW", NOW)
    monkeypatch.delenv("TOKENWALLET_HOME", raising=False)


def _click_command(words: tuple[str, ...]) -> click.Command:
    ctx = click.Context(cli)
    command: click.Command | None = cli
    for word in words:
        assert isinstance(command, click.Group)
        command = command.get_command(ctx, word)
    assert command is not None
    return command


@pytest.mark.parametrize("words", list(quick.OPTIONS))
def test_the_option_table_matches_the_click_command(words: tuple[str, ...]) -> None:
    command = _click_command(words)
    expected: dict[str, tuple[str, str]] = {}
    for param in command.params:
        if not isinstance(param, click.Option) or param.name is None:
            continue
        kind = (
            quick.FLAG
            if param.is_flag
            else quick.INT
            if isinstance(param.type, click.types.IntParamType)
            else quick.TEXT
        )
        if kind == quick.TEXT:
            assert isinstance(param.type, click.types.StringParamType), param.name
        for option in param.opts:
            assert option.startswith("--"), f"{option}: the quick parser reads long options only"
            expected[option] = (param.name, kind)
        assert not param.multiple and param.nargs == 1 and not param.envvar
    assert quick.OPTIONS[words] == expected
    with command.make_context(" ".join(words), []) as ctx:  # click's values for an empty command line
        assert quick.DEFAULTS[words] == ctx.params


def test_the_group_options_are_the_ones_it_reads() -> None:
    names = {option for param in cli.params if isinstance(param, click.Option) for option in param.opts}
    assert names == {"--home", "-v", "--verbose", "--version"}  # --version goes to click
    home = next(p for p in cli.params if p.name == "home")
    assert home.envvar == quick.HOME_ENV


@pytest.mark.parametrize(
    ("argv", "home", "verbose", "command", "given"),
    [
        (["status"], None, 0, ("status",), {}),
        (["--home", "h", "-vv", "status", "--json"], "h", 2, ("status",), {"as_json": True}),
        (["--home=h", "--verbose", "-v", "status", "--at=2026-11-01"], "h", 2, ("status",), {"at": "2026-11-01"}),
        (
            ["budget", "check", "--model", "gpt-4o", "--input-tokens", "1000", "--output-tokens=20"],
            None,
            0,
            ("budget", "check"),
            {"model": "gpt-4o", "input_tokens": 1000, "output_tokens": 20},
        ),
        (["budget", "check", "--amount", "1", "--amount", "2"], None, 0, ("budget", "check"), {"amount": "2"}),
        (
            ["budget", "check", "--allowance", "work", "--amount", "3"],
            None,
            0,
            ("budget", "check"),
            {"name": "work", "amount": "3"},
        ),
        (["alerts", "check", "--no-notify"], None, 0, ("alerts", "check"), {"no_notify": True}),
    ],
)
def test_it_reads_the_command_lines_it_understands(
    argv: list[str], home: str | None, verbose: int, command: tuple[str, ...], given: dict[str, object]
) -> None:
    parsed = quick.parse(argv, environ={})
    assert parsed is not None
    assert (parsed.home, parsed.verbose, parsed.command) == (home, verbose, command)
    assert parsed.params == quick.DEFAULTS[command] | given


@pytest.mark.parametrize(
    "argv",
    [
        ["status", "--help"],
        ["status", "-h"],
        ["--help", "status"],
        ["--version"],
        ["status", "--jsn"],
        ["status", "extra"],
        ["status", "--json=yes"],
        ["status", "--at"],
        ["status", "--", "--json"],
        ["budget", "check", "--amount", "-5"],
        ["budget", "check", "--input-tokens", "many"],
        ["budget", "--amount", "1"],
        ["budget", "list"],
        ["alerts", "list"],
        ["alerts", "check", "--snooze"],
        ["--home"],
        ["--home", "", "status"],
        ["-x", "status"],
        ["status", "-v"],
        ["usage", "add", "--amount", "1"],
    ],
)
def test_it_leaves_everything_else_to_click(argv: list[str]) -> None:
    assert quick.parse(argv, environ={}) is None


def test_a_home_click_would_refuse_goes_to_click(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("")
    assert quick.parse(["--home", str(a_file), "status"], environ={}) is None
    assert quick.parse(["status"], environ={quick.HOME_ENV: str(a_file)}) is None
    parsed = quick.parse(["status"], environ={quick.HOME_ENV: str(tmp_path / "new")})
    assert parsed is not None and parsed.home == str(tmp_path / "new")
    empty = quick.parse(["status"], environ={quick.HOME_ENV: ""})
    assert empty is not None and empty.home is None  # as click: an empty variable is not set


def test_an_error_names_the_option_as_click_does() -> None:
    assert quick.option_for(("budget", "check"), "name") == "--allowance"
    assert quick.option_for(("budget", "check"), "cached_input_tokens") == "--cached-input-tokens"
    assert quick.option_for(("status",), "at") == "--at"
    assert quick.option_for(("status",), "amount") is None


def _setup(home: Path) -> None:
    runner = CliRunner()
    for words in (
        ["allowance", "add", "work", "--amount", "100"],
        ["allowance", "add", "tokens", "--amount", "5000000", "--unit", "tokens", "--cadence", "weekly"],
        ["usage", "add", "--provider", "openai", "--amount", "60.25"],
        ["usage", "add", "--provider", "anthropic", "--amount", "25.50"],
    ):
        done = runner.invoke(cli, ["--home", str(home), *words], catch_exceptions=False)
        assert done.exit_code == 0, done.output


SAME_AS_CLICK = [
    ["status"],
    ["status", "--json"],
    ["status", "--at", "2026-11-10"],
    ["status", "--at", "soon"],
    ["budget", "check", "--amount", "5"],
    ["budget", "check", "--amount", "14.25"],  # 100.00 - (60.25 + 25.50) = 14.25 left: still fits
    ["budget", "check", "--amount", "14.26"],  # one cent more than is left
    ["budget", "check", "--amount", "20", "--json"],
    ["budget", "check", "--amount", "abc"],
    ["budget", "check", "--amount", "1", "--allowance", "nobody"],
    ["budget", "check", "--allowance", "tokens", "--amount", "1000"],
    ["budget", "check"],
    ["budget", "check", "--amount", "1", "--model", "gpt-4o"],
    ["alerts", "check", "--no-notify"],
    ["alerts", "check", "--no-notify", "--json"],
]


@pytest.mark.usefixtures("fixed_now")
@pytest.mark.parametrize("words", SAME_AS_CLICK, ids=" ".join)
def test_it_does_what_click_does(tmp_path: Path, words: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    homes = tmp_path / "quick", tmp_path / "click"
    _setup(homes[0])
    shutil.copytree(homes[0], homes[1])  # the same ledger, ids included
    argv = ["--home", str(homes[0]), *words]
    assert quick.parse(argv) is not None
    capsys.readouterr()
    code = quick.main(argv)
    ours = capsys.readouterr()
    theirs = CliRunner().invoke(cli, ["--home", str(homes[1]), *words], catch_exceptions=False)
    assert (code, ours.out, ours.err.replace(str(homes[0]), "HOME")) == (
        theirs.exit_code,
        theirs.stdout,
        theirs.stderr.replace(str(homes[1]), "HOME"),
    )
    if words[:1] == ["alerts"] and "--json" not in words:
        assert ours.out.strip()  # the check printed what fired (or "Nothing new.")


@pytest.mark.usefixtures("fixed_now")
def test_a_bad_clock_variable_is_refused_as_click_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TOKENWALLET_NOW", "yesterday-ish")
    capsys.readouterr()
    code = quick.main(["--home", str(tmp_path / "h"), "status"])
    ours = capsys.readouterr()
    theirs = CliRunner().invoke(cli, ["--home", str(tmp_path / "h"), "status"], catch_exceptions=False)
    assert code == theirs.exit_code == 2
    assert ours.err == theirs.stderr and "TOKENWALLET_NOW" in ours.err
