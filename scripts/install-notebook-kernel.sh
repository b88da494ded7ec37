#!/usr/bin/env bash
# install-notebook-kernel.sh registers the ganbook Jupyter kernel: a thin wrapper around
# `ganbook kernel install` (internal/kernel is the one implementation), for a checkout in
# which ganbook is not built yet. It builds the pinned GoNB and goimports into ganbook's
# cache directory (reused when already there) and writes the kernel spec "ganbook".
# Re-running it is safe.
#
# Usage:
#   scripts/install-notebook-kernel.sh [ganbook kernel install flags]
#   e.g. --jupyter-data-dir DIR, --name NAME, --display-name NAME, --backend go
#
# Environment (all optional):
#   GANBOOK            a ganbook binary to run instead of `go run ./cmd/ganbook`
#   GANBOOK_CACHE      cache directory (default ${XDG_CACHE_HOME:-~/.cache}/ganbook)
#   JUPYTER_DATA_DIR   Jupyter data directory (default ~/.local/share/jupyter, ~/Library/Jupyter on macOS)
#   GOMLX_BACKEND      recorded in the kernel spec when set
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export GOEXPERIMENT="${GOEXPERIMENT:-simd}"
if [[ -n "${GANBOOK:-}" ]]; then
  exec "$GANBOOK" kernel install "$@"
fi
exec go run ./cmd/ganbook kernel install "$@"
