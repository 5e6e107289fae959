#!/usr/bin/env bash
# Build the tokenwallet bundle with PyInstaller on Linux or macOS.
# usage: bash packaging/pyinstaller/build.sh [PYTHON]   (default: python3; needs `pip install .[bundle]`)
# Output: dist/tokenwallet/ (Linux) or dist/tokenwallet.app (macOS), from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${1:-${PYTHON:-python3}}
"$PY" packaging/render_icons.py --check
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/pyinstaller/tokenwallet.spec
if [ "$(uname)" = Darwin ]; then
  echo "built dist/tokenwallet.app"
else
  echo "built dist/tokenwallet/tokenwallet"
fi
