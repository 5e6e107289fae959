"""Footprint of the tray app, paired in one run with a bare PySide6 tray script.

Run inside the desktop session (a real X server with a tray host):

    bash .ci/desktop-session python tests/benchmarks/tray_footprint.py [--runs 5] [--idle 60]

It prints, with the targets:

* start to tray icon docked, median of N runs, tokenwallet vs the bare script (target <= 1.5x);
* resident memory a few seconds after start (target <= 90 MB), next to the bare script's;
* CPU time used while idle for ``--idle`` seconds (target <= 0.06 s over 60 s);
* the longest GUI event-loop stall while a poll runs against the emulator answering in 2 s
  (target <= 16 ms), next to the stall with no poll running.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
app = QApplication(sys.argv)
app.setQuitOnLastWindowClosed(False)
pixmap = QPixmap(22, 22)
pixmap.fill(QColor("#43a047"))
icon = QSystemTrayIcon(QIcon(pixmap))
icon.show()
timer = QTimer()
def check():
    if icon.geometry().width() > 0:
        timer.stop()
        print("tray-icon-visible", flush=True)
timer.timeout.connect(check)
timer.start(2)
sys.exit(app.exec())
"""

STALL = """
import sys, time, tempfile
from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv)
from tokenwallet.app import AppContext
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.emulator import DEMO_KEYS, start_emulator
from tokenwallet.ledger import accounts
from tokenwallet.secrets.store import ApiKey
from tokenwallet.ui.runtime.application import TrayApp

emulator = start_emulator()
ctx = AppContext.create(tempfile.mkdtemp(prefix="tw-bench-"))
store = ctx.use_session_only_keys()
accounts.add(ctx.ledger(), Account(id="bench-openai", kind=AccountKind.OPENAI, label="Bench",
             base_url=emulator.base_url("openai")), at=ctx.clock())
store.set("bench-openai", ApiKey(DEMO_KEYS["openai"]))
tw = TrayApp(ctx, store=store)
tw.start(open_dashboard=True)
clock = QElapsedTimer()
gaps = {"idle": 0, "poll": 0}
phase = ["warm"]
def tick():
    elapsed = clock.restart()
    if phase[0] in gaps:
        gaps[phase[0]] = max(gaps[phase[0]], elapsed)
ticker = QTimer()
ticker.setInterval(1)
ticker.timeout.connect(tick)
def start_idle():
    phase[0] = "idle"
    QTimer.singleShot(1500, start_poll)
def start_poll():
    emulator.set_fault("openai", "slow", count=None, delay=2.0)
    phase[0] = "poll"
    started = time.perf_counter()
    def done(_):
        print(f"poll-seconds {time.perf_counter() - started:.2f}", flush=True)
        phase[0] = "done"
        print(f"stall-idle-ms {gaps['idle']}", flush=True)
        print(f"stall-poll-ms {gaps['poll']}", flush=True)
        tw.quit()
    tw.polled.connect(done)
    tw.poll_now()
def begin():
    clock.start()
    ticker.start()
    QTimer.singleShot(2500, start_idle)  # let the first load and the dashboard settle
QTimer.singleShot(0, begin)
app.exec()
emulator.stop()
"""


def _wait_marker(proc: subprocess.Popen[str], started: float, timeout: float = 20.0) -> float:
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"process ended before its icon was docked (exit {proc.poll()})")
        if line.strip() == "tray-icon-visible":
            return time.perf_counter() - started
        if time.perf_counter() - started > timeout:
            raise RuntimeError("icon not docked in time")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def _prepared_home() -> str:
    """A home with an allowance and no account to poll."""
    home = tempfile.mkdtemp(prefix="tw-bench-home-")
    cli = [sys.executable, "-m", "tokenwallet", "--home", home]
    # In the empty user folder too: the first command turns log folders it finds into accounts.
    subprocess.run(
        [*cli, "allowance", "add", "work", "--amount", "200"], check=True, capture_output=True, env=_environment()
    )
    return home


def _command() -> list[str]:
    script = Path(sys.executable).with_name("tokenwallet")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tokenwallet"]


COMMANDS = {
    "bare": lambda home: [sys.executable, "-c", BARE],
    "tray": lambda home: [sys.executable, "-m", "tokenwallet.ui", "--home", home, "--background"],
    # The installed console script, as a user runs it (falls back to -m when it is not installed).
    "cli": lambda home: [*_command(), "--home", home, "--background"],
}


USER_HOME = tempfile.mkdtemp(prefix="tw-bench-user-")
"""An empty user folder, so agent logs of the machine running the benchmark do not change the figures."""


def _environment() -> dict[str, str]:
    """This environment with the empty user folder and no agent-log locations."""
    env = dict(os.environ, TOKENWALLET_STARTUP_PROBE="1", HOME=USER_HOME)
    for name in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_DATA_DIR", "XDG_CONFIG_HOME"):
        env.pop(name, None)
    return env


def _start(kind: str, home: str) -> tuple[subprocess.Popen[str], float]:
    env = _environment()
    cmd = COMMANDS[kind](home)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    return proc, started


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> int:
    """Measure and print; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of idle CPU measurement")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        print("needs a display with a tray host: bash .ci/desktop-session python tests/benchmarks/tray_footprint.py")
        return 2
    home = _prepared_home()
    times: dict[str, list[float]] = {kind: [] for kind in COMMANDS}
    for _ in range(args.runs):
        for kind in COMMANDS:  # interleaved so all see the same machine load
            proc, started = _start(kind, home)
            try:
                times[kind].append(_wait_marker(proc, started))
            finally:
                _stop(proc)
    bare_ms = statistics.median(times["bare"]) * 1000
    app_ms = statistics.median(times["tray"]) * 1000
    cli_ms = statistics.median(times["cli"]) * 1000
    ratio = app_ms / bare_ms

    bare, _ = _start("bare", home)
    _wait_marker(bare, time.perf_counter())
    app, _ = _start("tray", home)
    _wait_marker(app, time.perf_counter())
    time.sleep(4)  # the first load finishes and the process settles
    bare_rss, app_rss = _rss_mb(bare.pid), _rss_mb(app.pid)
    bare_cpu0, app_cpu0 = _cpu_seconds(bare.pid), _cpu_seconds(app.pid)
    time.sleep(args.idle)
    bare_idle = _cpu_seconds(bare.pid) - bare_cpu0
    app_idle = _cpu_seconds(app.pid) - app_cpu0
    _stop(app)
    _stop(bare)
    idle_budget = 0.06 * args.idle / 60

    stall = subprocess.run([sys.executable, "-c", STALL], capture_output=True, text=True, timeout=60)
    figures = dict(line.split() for line in stall.stdout.splitlines() if line.count(" ") == 1)
    if "stall-poll-ms" not in figures:
        print(stall.stdout, stall.stderr)
        return 1
    stall_ms = int(figures["stall-poll-ms"])

    print(
        f"start to tray icon docked (median of {args.runs}): bare PySide6 {bare_ms:.0f} ms, "
        f"python -m tokenwallet.ui {app_ms:.0f} ms, ratio {ratio:.2f} (target <= 1.5); "
        f"through the `tokenwallet` command {cli_ms:.0f} ms, ratio {cli_ms / bare_ms:.2f}"
    )
    print(f"resident memory after start: bare {bare_rss:.1f} MB, tokenwallet {app_rss:.1f} MB (target <= 90 MB)")
    print(
        f"CPU while idle for {args.idle:.0f} s: bare {bare_idle:.3f} s, tokenwallet {app_idle:.3f} s "
        f"(target <= {idle_budget:.3f} s)"
    )
    print(
        f"longest event-loop stall: idle {figures['stall-idle-ms']} ms, during a {figures['poll-seconds']} s poll "
        f"{stall_ms} ms (target <= 16 ms)"
    )
    ok = ratio <= 1.5 and app_rss <= 90 and app_idle <= idle_budget and stall_ms <= 16
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
