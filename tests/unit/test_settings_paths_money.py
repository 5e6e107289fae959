"""Settings validation and atomic writes, AppPaths, and exact money conversion."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tokenwallet import settings as settings_mod
from tokenwallet.domain.errors import ConfigError
from tokenwallet.domain.money import cents_to_micros, format_usd, usd_to_micros
from tokenwallet.paths import AppPaths


def test_paths_under_home_and_nothing_created_until_ensure(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path / "h")
    assert paths.ledger_file == tmp_path / "h" / "data" / "ledger.db"
    assert not (tmp_path / "h").exists()
    paths.ensure()
    assert paths.data_dir.is_dir() and paths.config_dir.is_dir()


def test_the_home_and_every_folder_created_for_it_are_private(tmp_path: Path) -> None:
    import os
    import stat

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    previous = os.umask(0o022)  # the usual umask, which would leave new folders 0755
    try:
        (tmp_path / "mine").mkdir(mode=0o755)
        deep = AppPaths.under(tmp_path / "mine" / "new" / "home").ensure()
        existing = tmp_path / "existing-home"
        existing.mkdir(mode=0o750)
        AppPaths.under(existing).ensure()
    finally:
        os.umask(previous)
    for folder in (tmp_path / "mine" / "new", tmp_path / "mine" / "new" / "home", deep.data_dir, deep.log_dir):
        assert mode(folder) == 0o700, folder
    assert mode(tmp_path / "mine") == 0o755  # not created here: left as it was
    assert mode(existing) == 0o750 and mode(existing / "config") == 0o700


def test_env_var_selects_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENWALLET_HOME", str(tmp_path))
    assert AppPaths.resolve().data_dir == tmp_path / "data"
    assert AppPaths.resolve(tmp_path / "other").data_dir == tmp_path / "other" / "data"


def test_settings_round_trip_and_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    original = settings_mod.Settings(
        poll_interval_minutes=7,
        timezone="Asia/Kolkata",
        display_currency="INR",
        currency_rate="84.5",
        number_grouping="indian",
    )
    settings_mod.save(path, original)
    loaded, unknown = settings_mod.load(path)
    assert loaded == original and unknown == []
    path.write_text(path.read_text() + 'colour = "blue"\n')
    loaded, unknown = settings_mod.load(path)
    assert unknown == ["colour"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("poll_interval_minutes = 0", "poll_interval_minutes"),
        ('poll_interval_minutes = "often"', "whole number"),
        ('timezone = "Mars/Olympus"', "time zone"),
        ('quiet_hours_start = "25:00"', "HH:MM"),
        ('currency_rate = "-3"', "positive"),
        ("notifications = 1", "true or false"),
        ('alert_hook = "notify.sh"', "absolute path"),
        ("this is = not toml =", "not valid TOML"),
        ("poll_interval_minutes = 99999999999999", "poll_interval_minutes = 99999999999999 is out of range"),
        ('currency_rate = "1e999999"', "currency_rate = '1e999999' is too large"),
        ('monthly_salary = "1e30"', "pay_amount = '1e30' is too large"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError, match=fragment):
        settings_mod.load(path)


def test_settings_that_are_not_utf8_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_bytes(b'timezone = "Europe/Berlin"\ndisplay_currency = "\xff\xfeUR"\n')
    with pytest.raises(ConfigError, match=r"settings\.toml is not UTF-8 text"):
        settings_mod.load(path)


@pytest.mark.parametrize(
    "text", [b"poll_interval_minutes = 99999999999999\n", b'currency_rate = "1e999999"\n', b"\xff\xfe = 1\n"]
)
def test_bad_settings_are_a_message_not_a_traceback(tmp_path: Path, text: bytes) -> None:
    from click.testing import CliRunner

    from tokenwallet.cli.root import cli

    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.toml").write_bytes(text)
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "report", "--format", "json"])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: settings") and "Traceback" not in result.output


def test_failed_save_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    settings_mod.save(path, settings_mod.Settings(poll_interval_minutes=9))
    with pytest.raises(ConfigError):
        settings_mod.save(path, settings_mod.Settings(poll_interval_minutes=0))
    assert settings_mod.load(path)[0].poll_interval_minutes == 9
    assert [p.name for p in tmp_path.iterdir()] == ["settings.toml"]


def test_money_conversions_are_exact() -> None:
    assert usd_to_micros(0.1) == 100_000
    assert usd_to_micros("1234.5678901") == 1_234_567_890
    assert usd_to_micros(Decimal("0.0000005")) == 0  # half-even
    assert cents_to_micros("123.456") == 1_234_560
    assert cents_to_micros("0.0001") == 1
    assert format_usd(1_234_567_890) == "$1,234.57"
    assert format_usd(None) == "unpriced"
    with pytest.raises(ValueError):
        usd_to_micros("twelve")


def test_settings_with_control_characters_save_as_valid_toml(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    awkward = settings_mod.Settings(
        primary_allowance='work\x01 "quoted" \\ back\nnext\tline\x7f',
        alert_hook="/opt/hooks/notify\x1b[31m.sh",
        pay_amount="5000",
    )
    settings_mod.save(path, awkward)
    assert settings_mod.load(path) == (awkward, [])


def test_saving_keeps_comments_order_and_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        "# my tokenwallet\n"
        'timezone = "Asia/Kolkata"  # where I work\n'
        "poll_interval_minutes = 5  # every five minutes\n"
        'colour = "blue"  # a key from a newer version\n'
        "\n"
        "[experimental]\n"
        "flag = true\n"
    )
    loaded, unknown = settings_mod.load(path)
    assert unknown == ["colour", "experimental"]
    settings_mod.save(path, loaded.replace(poll_interval_minutes=15, display_currency="INR"))
    text = path.read_text()
    assert text.startswith("# my tokenwallet\n")
    assert 'timezone = "Asia/Kolkata"  # where I work\n' in text
    assert "poll_interval_minutes = 15  # every five minutes\n" in text
    assert 'colour = "blue"  # a key from a newer version\n' in text
    assert text.index("display_currency") < text.index("[experimental]")  # new keys stay top-level
    assert text.endswith("[experimental]\nflag = true\n")
    assert settings_mod.load(path)[0] == loaded.replace(poll_interval_minutes=15, display_currency="INR")


def test_saving_over_a_broken_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("poll_interval_minutes = = 5\n# my notes\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        settings_mod.save(path, settings_mod.Settings())
    assert path.read_text() == "poll_interval_minutes = = 5\n# my notes\n"


@pytest.mark.parametrize(
    ("named", "expected"),
    [("Asia/Kolkata", "Asia/Kolkata"), (None, "UTC"), ("Not/AZone", "UTC"), (RuntimeError("conflict"), "UTC")],
)
def test_the_local_zone_comes_from_tzlocal(monkeypatch: pytest.MonkeyPatch, named: object, expected: str) -> None:
    import tzlocal

    def name() -> object:
        if isinstance(named, Exception):
            raise named
        return named

    monkeypatch.setattr(tzlocal, "get_localzone_name", name)
    assert settings_mod.Settings().zone().key == expected
    assert settings_mod.Settings(timezone="Europe/Berlin").zone().key == "Europe/Berlin"
