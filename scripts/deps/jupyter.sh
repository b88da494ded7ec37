#!/usr/bin/env bash
# jupyter.sh installs the pinned JupyterLab 4, nbclient and nbconvert
# (scripts/deps/jupyter-requirements.txt) into their own virtual environment,
# ${GANBOOK_CACHE:-${XDG_CACHE_HOME:-~/.cache}/ganbook}/venv-jupyter, never into the system
# Python. It reinstalls only when the requirements file changed. Prints the venv's bin
# directory on its last line.
#
# Environment: PYTHON (default python3), CI (when "true", failing to install is an error;
# otherwise it is reported and the tests that need JupyterLab skip).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

cache="${GANBOOK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganbook}"
venv="$cache/venv-jupyter"
req=scripts/deps/jupyter-requirements.txt
python="${PYTHON:-python3}"

fail() {
  echo "deps/jupyter: $1" >&2
  if [[ "${CI:-}" == true ]]; then exit 1; fi
  echo "deps/jupyter: the JupyterLab tests will skip" >&2
  exit 0
}

stamp="$venv/.ganbook-requirements"
if [[ -x "$venv/bin/jupyter-lab" ]] && cmp -s "$req" "$stamp"; then
  echo "deps/jupyter: $venv is up to date"
  echo "$venv/bin"
  exit 0
fi
command -v "$python" >/dev/null || fail "$python not found: install Python ≥ 3.9 to get JupyterLab"
echo "deps/jupyter: installing $req into $venv"
mkdir -p "$cache"
"$python" -m venv "$venv" || fail "$python -m venv $venv failed"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req" || fail "pip install -r $req failed"
cp "$req" "$stamp"
"$venv/bin/jupyter" lab --version >/dev/null || fail "$venv/bin/jupyter lab does not start"
echo "deps/jupyter: JupyterLab $("$venv/bin/jupyter" lab --version) in $venv"
echo "$venv/bin"
