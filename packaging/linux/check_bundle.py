"""Build the Linux bundle, start it in a desktop session with a tray host, and report size and start time.

usage (from the repository root)::

    python packaging/linux/check_bundle.py            # build, then check
    python packaging/linux/check_bundle.py --no-build # check an existing dist/tokenwallet

It re-runs itself inside ``.ci/desktop-session`` (Xvfb, D-Bus, gnome-keyring, trayer, dunst) when
no session is active.  For each run it starts ``tokenwallet --demo`` from the bundle, waits until
a new window is docked in trayer, right-clicks it and picks Quit (xdotool), and checks the app
exits with status 0 (SIGTERM and then SIGKILL only if it does not).
The same is done with ``python -m tokenwallet --demo`` from the source tree as the baseline, so
the figures compare the frozen start with an ordinary one on the same machine in the same run.
Exit status 0 means every run docked and exited cleanly.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "tokenwallet"
DOCK_TIMEOUT = 20.0
QUIT_TIMEOUT = 10.0
SETTLE = 1.0
SCREENSHOT_SETTLE = 6.0  # the demo fills the dashboard over its first few seconds


@dataclass
class RunResult:
    """One start of the app."""

    docked_after: float | None
    exit_status: int | None
    output: str
    quit_by: str = ""

    @property
    def clean(self) -> bool:
        """Docked, then left through its own Quit menu item with status 0."""
        return self.docked_after is not None and self.exit_status == 0 and self.quit_by == "menu"


def folder_size(path: Path) -> int:
    """Bytes used by every file under ``path`` (symlinks not followed)."""
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def tray_children() -> set[str]:
    """Window ids currently inside trayer's panel (each docked icon adds one)."""
    tree = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True).stdout
    match = re.search(r"^\s*(0x[0-9a-f]+) \"panel\": \(\"panel\" \"trayer\"\)", tree, re.MULTILINE)
    if not match:
        raise SystemExit("trayer is not running: start this inside .ci/desktop-session")
    panel = subprocess.run(["xwininfo", "-id", match.group(1), "-tree"], capture_output=True, text=True).stdout
    return set(re.findall(r"^\s+(0x[0-9a-f]+) ", panel, re.MULTILINE))


def choose_quit(window: str) -> None:
    """Right-click the docked icon and pick the last menu item (Quit) with the keyboard."""
    info = subprocess.run(["xwininfo", "-id", window], capture_output=True, text=True).stdout
    number = {
        key: int(re.search(rf"{key}:\s+(-?\d+)", info).group(1))
        for key in ("Absolute upper-left X", "Absolute upper-left Y", "Width", "Height")
    }  # type: ignore[union-attr]
    x = number["Absolute upper-left X"] + number["Width"] // 2
    y = number["Absolute upper-left Y"] + number["Height"] // 2
    subprocess.run(["xdotool", "mousemove", str(x), str(y), "click", "3"], check=True)
    time.sleep(0.6)  # let the menu open and grab the keyboard
    # With nothing highlighted, Up selects the menu's last item, which is Quit.
    subprocess.run(["xdotool", "key", "Up", "Return"], check=True)


def start_once(command: list[str], screenshot: Path | None = None) -> RunResult:
    """Start ``command`` with a throwaway home, time the dock, then quit it from its tray menu."""
    before = tray_children()
    with tempfile.TemporaryDirectory(prefix="tw-bundle-") as home, tempfile.TemporaryFile("w+") as log:
        env = dict(os.environ, TOKENWALLET_HOME=home)
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        docked_after, quit_by = None, ""
        try:
            while time.perf_counter() - started < DOCK_TIMEOUT and proc.poll() is None:
                new = tray_children() - before
                if new:
                    docked_after = time.perf_counter() - started
                    break
                time.sleep(0.02)
            if docked_after is not None and proc.poll() is None:
                time.sleep(SETTLE if screenshot is None else SCREENSHOT_SETTLE)  # let the first poll land
                if screenshot is not None:
                    screenshot.parent.mkdir(parents=True, exist_ok=True)
                    subprocess.run(["import", "-window", "root", str(screenshot)], check=False)
                choose_quit(sorted(new)[0])
                try:
                    proc.wait(QUIT_TIMEOUT)
                    quit_by = "menu"
                except subprocess.TimeoutExpired:
                    log.write("\n[check_bundle] Quit from the tray menu did not end the app\n")
            if proc.poll() is None:
                quit_by = "SIGTERM"
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(QUIT_TIMEOUT)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                    log.write("\n[check_bundle] did not exit within 10 s of SIGTERM; killed\n")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        log.seek(0)
        return RunResult(docked_after, proc.returncode, log.read(), quit_by)


def measure(label: str, command: list[str], runs: int, screenshot: Path | None = None) -> list[RunResult]:
    """Start ``command`` ``runs`` times and print what happened each time (screenshot of the first)."""
    results = []
    for index in range(runs):
        result = start_once(command, screenshot if index == 0 else None)
        docked = f"docked in {result.docked_after * 1000:.0f} ms" if result.docked_after else "did NOT dock"
        quit_by = result.quit_by or "exited by itself"
        print(f"  {label} run {index + 1}: {docked}, quit by {quit_by}, exit status {result.exit_status}")
        if not result.clean and result.output.strip():
            print("    output: " + result.output.strip()[-600:].replace("\n", "\n    "))
        results.append(result)
    return results


def median_ms(results: list[RunResult]) -> str:
    """The median time to dock over the runs that docked."""
    times = [r.docked_after for r in results if r.docked_after is not None]
    return f"{statistics.median(times) * 1000:.0f} ms" if times else "n/a"


def main(argv: list[str] | None = None) -> int:
    """Build (unless ``--no-build``), then check the bundle inside a desktop session."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-build", action="store_true", help="use the existing dist/tokenwallet")
    parser.add_argument("--runs", type=int, default=3, help="starts per variant (default 3)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the start from the source tree")
    parser.add_argument("--screenshot", type=Path, help="save the screen of the first bundle start here")
    args = parser.parse_args(argv)

    if not os.environ.get("TOKENWALLET_DESKTOP_SESSION"):
        if not args.no_build:
            build_started = time.perf_counter()
            subprocess.run(["bash", str(ROOT / "packaging" / "pyinstaller" / "build.sh"), sys.executable], check=True)
            print(f"build took {time.perf_counter() - build_started:.0f} s")
        inner = [sys.executable, __file__, "--no-build", "--runs", str(args.runs)]
        if args.no_baseline:
            inner.append("--no-baseline")
        if args.screenshot:
            inner += ["--screenshot", str(args.screenshot.absolute())]
        return subprocess.run(["bash", str(ROOT / ".ci" / "desktop-session"), *inner]).returncode

    executable = BUNDLE / "tokenwallet"
    if not executable.is_file():
        raise SystemExit(f"{executable} is missing: build it with packaging/pyinstaller/build.sh")
    size = folder_size(BUNDLE)
    print(f"bundle: {BUNDLE.relative_to(ROOT)} {size / 1e6:.1f} MB ({sum(1 for _ in BUNDLE.rglob('*'))} files)")
    version = subprocess.run([str(executable), "--version"], capture_output=True, text=True, timeout=60)
    print(f"bundle --version: {version.stdout.strip() or version.stderr.strip()} (exit {version.returncode})")

    frozen = measure("bundle", [str(executable), "--demo"], args.runs, args.screenshot)
    ok = all(r.clean for r in frozen) and version.returncode == 0
    print(f"bundle: start to docked tray icon, median {median_ms(frozen)}")
    if not args.no_baseline:
        source = measure("source", [sys.executable, "-m", "tokenwallet", "--demo"], args.runs)
        print(f"source (baseline): start to docked tray icon, median {median_ms(source)}")
    print("result: " + ("OK: docked and exited cleanly every time" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
