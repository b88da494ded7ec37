#!/usr/bin/env bash
# Installs the pinned MLflow (scripts/deps/mlflow-requirements.txt) into a virtual
# environment in ganbook's cache, ${GANBOOK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganbook}/venv-mlflow,
# for the test of `ganbook sync --to mlflow+http://…`, which starts `mlflow server`
# from it and reads the copies back with MLflow's Python client.
# Safe to re-run: nothing is done while the venv matches the requirements file.
# In CI (CI=true) a failure is fatal; locally it is reported and the test skips.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${GANBOOK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganbook}"
venv="$cache/venv-mlflow"
req="$here/mlflow-requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ -x "$venv/bin/mlflow" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

fail() {
  if [[ "${CI:-}" == true ]]; then
    echo "deps/mlflow: $*" >&2
    exit 1
  fi
  echo "deps/mlflow: $* (the MLflow sync test will skip)" >&2
  exit 0
}

# The pins are for Python 3.11: python3 when it is 3.11, else python3.11.
pyversion() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null; }
python="${GANBOOK_PYTHON:-python3}"
if [[ -z "${GANBOOK_PYTHON:-}" && "$(pyversion python3)" != 3.11 ]] && command -v python3.11 >/dev/null; then
  python=python3.11
fi
version="$(pyversion "$python")" || fail "no $python"
[[ "$version" == 3.11 ]] || fail "$python is Python $version; the pinned requirements are for 3.11 (set GANBOOK_PYTHON)"

echo "deps/mlflow: installing MLflow into $venv"
mkdir -p "$cache"
"$python" -m venv "$venv" || fail "cannot create $venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$req" || fail "pip install -r $req failed"
"$venv/bin/mlflow" --version >/dev/null || fail "mlflow does not run from $venv"
echo "$want" >"$stamp"
