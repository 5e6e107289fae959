"""The click-free front end for ``status``, ``budget check`` and ``alerts check``.

It must take only command lines it understands completely, leave everything else to click, and
do exactly what the click commands do with what it takes: the same output on both streams and
the same exit status.  Its option table must match the click commands', so the two cannot drift.
"""

from __future__ import annotations

import json
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


def _click_command(words: tuple[str, ...]) -> tuple[click.Command, tuple[str, ...]]:
    """The click command ``words`` name, and the words left for its arguments (``import``'s agent)."""
    ctx = click.Context(cli)
    command: click.Command = cli
    for index, word in enumerate(words):
        if not isinstance(command, click.Group):
            return command, words[index:]
        found = command.get_command(ctx, word)
        assert found is not None, word
        command = found
    return command, ()


def _kind(param: click.Option) -> str:
    if param.is_flag:
        return quick.FLAG
    if isinstance(param.type, click.types.IntParamType):
        return quick.INT
    if isinstance(param.type, click.Path):
        return quick.PATH
    assert isinstance(param.type, click.types.StringParamType), param.name
    return quick.TEXT


@pytest.mark.parametrize("words", list(quick.OPTIONS), ids=" ".join)
def test_the_option_table_matches_the_click_command(words: tuple[str, ...]) -> None:
    command, values = _click_command(words)
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    assert len(arguments) == len(values)  # every argument is one of the command's words
    for argument, value in zip(arguments, values, strict=True):
        assert isinstance(argument.type, click.Choice) and value in argument.type.choices
    expected: dict[str, tuple[str, str]] = {}
    for param in command.params:
        if isinstance(param, click.Option) and param.name is not None:
            for option in param.opts:
                assert option.startswith("--"), f"{option}: the quick parser reads long options only"
                expected[option] = (param.name, _kind(param))
            assert not param.multiple and param.nargs == 1 and not param.envvar
    assert quick.OPTIONS[words] == expected
    with command.make_context(" ".join(words), list(values)) as ctx:  # click's values for no options
        assert quick.DEFAULTS[words] == {k: v for k, v in ctx.params.items() if k not in {a.name for a in arguments}}


def test_every_agent_click_imports_is_in_the_table() -> None:
    command, _ = _click_command(("import",))
    [argument] = [p for p in command.params if isinstance(p, click.Argument)]
    assert isinstance(argument.type, click.Choice)
    assert {words[1] for words in quick.OPTIONS if words[0] == quick.IMPORT} == set(argument.type.choices)


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
        (
            ["import", "claude-code", "--path", "logs", "--json"],
            None,
            0,
            ("import", "claude-code"),
            {"path": "logs", "as_json": True},
        ),
        (["-v", "import", "gemini"], None, 1, ("import", "gemini"), {}),
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
        ["import"],
        ["import", "cursor"],
        ["import", "codex", "--path", ""],
        ["import", "codex", "extra"],
        ["import", "--json", "codex"],
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


FIXTURES = Path(__file__).parents[1] / "fixtures" / "agent_logs"


def _files(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if (Path(folder) / name).is_file()]


@pytest.mark.usefixtures("fixed_now")
@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
@pytest.mark.parametrize(("agent", "folder"), [("claude-code", "claude"), ("codex", "codex"), ("gemini", "gemini")])
def test_an_import_does_what_click_does(
    tmp_path: Path, agent: str, folder: str, as_json: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "logs"
    shutil.copytree(FIXTURES / folder, logs, ignore=_files)  # the agent's folders, no logs yet
    homes = tmp_path / "quick", tmp_path / "click"
    runner = CliRunner()
    words = ["import", agent, "--path", str(logs), *(["--json"] if as_json else [])]
    first = runner.invoke(cli, ["--home", str(homes[0]), *words], catch_exceptions=False)
    assert first.exit_code == 0, first.output  # the account exists, with nothing read yet
    shutil.copytree(homes[0], homes[1])
    shutil.copytree(FIXTURES / folder, logs, dirs_exist_ok=True)  # then the agent writes its logs
    capsys.readouterr()
    code = quick.main(["--home", str(homes[0]), *words])  # standard error is not a terminal here
    ours = capsys.readouterr()
    theirs = runner.invoke(cli, ["--home", str(homes[1]), *words], catch_exceptions=False)
    assert (code, ours.out, ours.err) == (theirs.exit_code, theirs.stdout, theirs.stderr)
    assert ours.err == f"Importing {agent} logs\n"
    if as_json:
        assert json.loads(ours.out)["import"]["imported"] > 0


def test_an_import_on_a_terminal_is_left_to_click_for_its_progress_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(quick, "_is_terminal", lambda stream: True)
    assert quick.main(["--home", str(tmp_path / "h"), "import", "codex", "--path", str(tmp_path)]) is None
    assert not (tmp_path / "h").exists()  # nothing was opened
