#!/usr/bin/env bash
# install-notebook-kernel.sh builds the pinned GoNB kernel and goimports into ganbook's
# cache directory and registers a Jupyter kernel spec for the notebooks in notebooks/.
#
# Re-running it is safe: pinned binaries already in the cache are reused (CI caches the
# directory), and the kernel spec is rewritten in place.
#
# Environment (all optional):
#   GANBOOK_CACHE        cache directory            (default ${XDG_CACHE_HOME:-$HOME/.cache}/ganbook)
#   GANBOOK_KERNEL_NAME  kernel spec name           (default gonb, the name the notebooks use)
#   JUPYTER_DATA_DIR     Jupyter data directory     (default ~/.local/share/jupyter, ~/Library/Jupyter on macOS)
#
# We write kernel.json ourselves instead of running `gonb --install`, because that command
# always names the kernel "gonb", writes an empty "env" and insists on gopls being on PATH.
set -euo pipefail

GONB_VERSION=v0.11.3
TOOLS_VERSION=v0.44.0 # golang.org/x/tools, for goimports; same x/mod, x/sync, x/sys as go.mod

cache_dir="${GANBOOK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganbook}"
bin_dir="$cache_dir/bin"
kernel_name="${GANBOOK_KERNEL_NAME:-gonb}"

if [[ -z "${JUPYTER_DATA_DIR:-}" ]]; then
  case "$(uname -s)" in
    Darwin) JUPYTER_DATA_DIR="$HOME/Library/Jupyter" ;;
    *) JUPYTER_DATA_DIR="${XDG_DATA_HOME:-$HOME/.local/share}/jupyter" ;;
  esac
fi
kernel_dir="$JUPYTER_DATA_DIR/kernels/$kernel_name"

go_bin="$(command -v go || true)"
if [[ -z "$go_bin" ]]; then
  echo "install-notebook-kernel: go not found on PATH; install Go 1.26 first" >&2
  exit 1
fi
go_dir="$(dirname "$(readlink -f "$go_bin")")"

mkdir -p "$bin_dir"

# build_pinned MODULE@VERSION PACKAGE OUTPUT: builds PACKAGE at exactly VERSION in a scratch
# module (`go install pkg@version` is refused by this project's proxy policy).
build_pinned() {
  local modver="$1" pkg="$2" out="$3" scratch
  if [[ -x "$out" ]]; then
    echo "install-notebook-kernel: $(basename "$out") already built"
    return
  fi
  scratch="$(mktemp -d)"
  echo "install-notebook-kernel: building $pkg from $modver"
  if ! (
    cd "$scratch"
    go mod init ganbook.local/kernelbuild &&
      go get "$modver" &&
      CGO_ENABLED=0 go build -mod=mod -o "$out.tmp" "$pkg"
  ) >"$scratch.log" 2>&1; then
    cat "$scratch.log" >&2
    rm -rf "$scratch" "$scratch.log"
    echo "install-notebook-kernel: building $pkg failed" >&2
    return 1
  fi
  rm -rf "$scratch" "$scratch.log"
  mv "$out.tmp" "$out"
}

build_pinned "github.com/janpfeifer/gonb@$GONB_VERSION" github.com/janpfeifer/gonb "$bin_dir/gonb-$GONB_VERSION"
build_pinned "golang.org/x/tools@$TOOLS_VERSION" golang.org/x/tools/cmd/goimports "$bin_dir/goimports-$TOOLS_VERSION"
ln -sfn "gonb-$GONB_VERSION" "$bin_dir/gonb"
ln -sfn "goimports-$TOOLS_VERSION" "$bin_dir/goimports"

# The launcher gives the kernel what Jupyter's environment may lack: goimports and go on PATH,
# and a GoMLX backend default that a value set where Jupyter was started still overrides.
launcher="$bin_dir/gonb-kernel"
cat >"$launcher.tmp" <<LAUNCHER
#!/bin/sh
# Written by scripts/install-notebook-kernel.sh: starts GoNB $GONB_VERSION for ganbook's notebooks.
export PATH="$bin_dir:$go_dir:\$PATH"
export GOEXPERIMENT="\${GOEXPERIMENT:-simd}"
export GOMLX_BACKEND="\${GOMLX_BACKEND:-go}"
export GOMLX_NO_AUTO_INSTALL=1
exec "$bin_dir/gonb-$GONB_VERSION" "\$@"
LAUNCHER
chmod +x "$launcher.tmp"
mv "$launcher.tmp" "$launcher"

# kernel.json: "env" repeats the fixed settings so that they are visible in the spec itself.
mkdir -p "$kernel_dir"
json_string() { # prints $1 as a JSON string
  local s="${1//\\/\\\\}"
  s="${s//\"/\\\"}"
  printf '"%s"' "$s"
}
cat >"$kernel_dir/kernel.json.tmp" <<JSON
{
  "argv": [$(json_string "$launcher"), "--kernel", "{connection_file}"],
  "display_name": "Go (gonb)",
  "language": "go",
  "interrupt_mode": "message",
  "env": {
    "GOEXPERIMENT": "simd",
    "GOMLX_NO_AUTO_INSTALL": "1"
  },
  "metadata": {
    "ganbook": {"gonb_version": "$GONB_VERSION", "goimports_version": "$TOOLS_VERSION"}
  }
}
JSON
mv "$kernel_dir/kernel.json.tmp" "$kernel_dir/kernel.json"
logo="$(go env GOMODCACHE)/github.com/janpfeifer/gonb@$GONB_VERSION/internal/kernel/Go_gopher_favicon.svg"
if [[ -f "$logo" ]]; then
  install -m 0644 "$logo" "$kernel_dir/logo-svg.svg"
fi

echo "install-notebook-kernel: kernel \"$kernel_name\" installed in $kernel_dir (GoNB $GONB_VERSION, binaries in $bin_dir)"
