"""``python -m tokenwallet.emulator``: serve the provider emulator until interrupted."""

from __future__ import annotations

import argparse
import time

from tokenwallet.emulator import KINDS, Scenario, start_emulator


def main() -> None:
    """Start the emulator and print each provider's base URL and demo key."""
    parser = argparse.ArgumentParser(prog="python -m tokenwallet.emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--seed", type=int, default=Scenario().seed, help="scenario seed")
    args = parser.parse_args()
    emulator = start_emulator(Scenario(seed=args.seed), port=args.port)
    print(f"provider emulator on {emulator.root_url} (Ctrl+C to stop)", flush=True)
    for kind in KINDS:
        print(f"  {kind:11} base URL {emulator.base_url(kind)}  demo key {emulator.keys[kind]}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
