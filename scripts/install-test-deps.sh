#!/usr/bin/env bash
# Installs what the test suite needs on a Debian 12 machine: Debian packages
# (python3-venv for the venvs, the classic Jupyter Notebook for the game explorer's browser test,
# Chromium for the browser tests, iproute2 for the network-namespace test, Fashion-MNIST, PyTorch
# for the reference models' checks, patch for the check of third_party/compute), PostgreSQL, the Go
# modules, JupyterLab and MLflow (pinned, each in its venv), the GoNB kernel and XLA's CPU plugin.
# Safe to re-run: it installs only what is missing. In CI (CI=true) anything that
# cannot be installed is a failure; locally it is reported and the tests that need
# it skip.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(python3-venv jupyter-notebook chromium fonts-noto-cjk iproute2 dataset-fashion-mnist python3-torch libopenblas0-pthread patch)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]]; then
    echo "install-test-deps: apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif [[ "${CI:-}" == true ]]; then
    echo "install-test-deps: missing Debian packages ${missing[*]} and not root" >&2
    exit 1
  else
    echo "install-test-deps: missing Debian packages (tests that need them will skip): ${missing[*]}" >&2
    echo "  install with: sudo apt-get install ${missing[*]}" >&2
  fi
fi

scripts/deps/postgres.sh
go mod download
scripts/deps/jupyter.sh # JupyterLab, nbclient and nbconvert, pinned, in ganbook's venv-jupyter
# Build the pinned GoNB and goimports now (cached in ~/.cache/ganbook/bin), registering the kernel
# in a private Jupyter data directory: the tests must not touch the user's own kernels.
JUPYTER_DATA_DIR="${GANBOOK_CACHE:-$HOME/.cache/ganbook}/jupyter-test" scripts/install-notebook-kernel.sh
scripts/deps/mlflow.sh  # MLflow in venv-mlflow, for the sync test
# XLA's CPU PJRT plugin (pinned wheel, sha256-checked) into ganbook's cache, for the XLA tests.
scripts/deps/xla.sh
