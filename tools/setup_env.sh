#!/usr/bin/env bash
# Create the project's virtual environment (.venv) with everything lava-eqprop needs.
#
# Idempotent and quick when nothing changed: a stamp records the hash of the files that decide
# what is installed, and the script exits after one import check when it matches.
# lava-nc 0.10.0 declares Requires-Python <3.11: it is installed last, alone, with
# --no-deps --ignore-requires-python; its dependencies come from pyproject.toml, pinned to
# versions with Python 3.11 wheels (tools/constraints.txt; docs/development.md).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
LAVA_VERSION=0.10.0
stamp="$VENV/.lava-eqprop-setup"
want=$(cat pyproject.toml tools/constraints.txt tools/setup_env.sh | sha256sum | cut -d' ' -f1)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
   && "$VENV/bin/python" -c "import lava.proc.dense.process, lava_eqprop, brian2, h5py, mnist, nir, ray" \
        2>/dev/null; then
  exit 0
fi

"$PYTHON" - <<'PY'
import sys
if sys.version_info[:2] not in ((3, 10), (3, 11)):
    sys.exit(f"lava-eqprop needs Python 3.10 or 3.11 (lava-nc 0.10.0, brian2 2.9.0); "
             f"this is {sys.version.split()[0]}. Set PYTHON=/path/to/python3.11.")
PY

echo "setting up $VENV (first run takes about a minute)..."
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
pip_q() { "$VENV/bin/python" -m pip install --disable-pip-version-check -q "$@"; }
pip_q -c tools/constraints.txt -e ".[mnist,test,nir,ray]"
pip_q --no-deps --ignore-requires-python "lava-nc==$LAVA_VERSION"
# lava-nc 0.10.0 needs two import-time fixes (lava_eqprop/lava_compat.py): one to import on
# Python 3.11, one to import after the process started another. This start-up file installs
# them in every interpreter of the environment, so that any script may import lava, before
# lava_eqprop or without it.
site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo 'import importlib.util; importlib.util.find_spec("lava_eqprop") and __import__("lava_eqprop.lava_compat").lava_compat.install()' \
  > "$site/lava_eqprop_lava_compat.pth"
# The optional torch backend (--device) and its tests: installed from a local CPU wheel where
# the machine has one in the folder TORCH_WHEELS (default /opt/wheels), never pulled from the registry
# (whose newest build brings several GB of CUDA packages). TORCH=no skips it.
if [ "${TORCH:-auto}" != no ]; then
  tag=$("$VENV/bin/python" -c 'import sys; print("cp%d%d" % sys.version_info[:2])')
  wheel=$(ls "${TORCH_WHEELS:-/opt/wheels}"/torch-*+cpu-"$tag"-*.whl 2>/dev/null \
          | sort -V | tail -1 || true)
  if [ -n "$wheel" ]; then
    pip_q -c tools/constraints.txt "$wheel"
  else
    echo "no local CPU wheel of torch: the torch backend's tests will be skipped"
  fi
fi
"$VENV/bin/python" -c "import lava_eqprop, lava, brian2, h5py, mnist"
"$VENV/bin/python" -c "import lava.proc.dense.process"
echo "$want" > "$stamp"
echo "ready: $VENV"
