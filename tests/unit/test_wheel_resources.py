"""The built wheel carries every icon, the desktop entry and the metainfo, and the loader finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tokenwallet.paths import APP_ID

ROOT = Path(__file__).resolve().parents[2]
SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    # An out-of-tree copy keeps setuptools' build/ and egg-info droppings out of the working tree.
    subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(build / "src.tar"), "HEAD"],
        check=True,
        capture_output=True,
    )
    src = build / "src"
    src.mkdir()
    subprocess.run(["tar", "-xf", str(build / "src.tar"), "-C", str(src)], check=True)
    # Overlay the working copies of the packaged files so the test checks what is about to be committed.
    for path in (ROOT / "tokenwallet").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            target = src / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    (src / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("tokenwallet-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.mark.slow
def test_wheel_has_every_icon_size_and_the_svg(wheel_names: set[str]) -> None:
    base = "tokenwallet/ui/assets/icons/"
    missing = [f"{base}{APP_ID}-{s}.png" for s in SIZES if f"{base}{APP_ID}-{s}.png" not in wheel_names]
    assert not missing, f"missing from the wheel: {missing}"
    assert f"{base}{APP_ID}.svg" in wheel_names


@pytest.mark.slow
def test_wheel_has_desktop_entry_and_metainfo(wheel_names: set[str]) -> None:
    assert f"tokenwallet/ui/assets/desktop/{APP_ID}.desktop" in wheel_names
    assert f"tokenwallet/ui/assets/desktop/{APP_ID}.metainfo.xml" in wheel_names


@pytest.mark.slow
def test_wheel_has_the_entry_point_and_main(wheel_names: set[str]) -> None:
    assert "tokenwallet/__main__.py" in wheel_names
    assert any(name.endswith(".dist-info/entry_points.txt") for name in wheel_names)


def test_packaged_copies_match_the_sources() -> None:
    """The runtime copies are regenerated from resources/ (packaging/render_icons.py --check)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "render_icons.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_loader_finds_the_icons() -> None:
    from tokenwallet.ui.assets import app_icon_path, asset_bytes

    assert app_icon_path().name == f"{APP_ID}.svg"
    assert app_icon_path(20).name == f"{APP_ID}-22.png"
    assert app_icon_path(1000).name == f"{APP_ID}-256.png"
    assert asset_bytes(f"icons/{APP_ID}-16.png")[:4] == b"\x89PNG"
    with pytest.raises(FileNotFoundError, match="missing from the installed package"):
        asset_bytes("icons/nope.png")


def test_python_m_tokenwallet_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tokenwallet", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("tokenwallet, version")


@pytest.mark.slow
def test_wheel_has_the_policy_schema(wheel_names: set[str]) -> None:
    """The policy reader validates against the packaged copy of resources/policy.schema.json."""
    assert "tokenwallet/policy/policy.schema.json" in wheel_names
