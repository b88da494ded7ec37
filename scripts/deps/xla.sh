#!/usr/bin/env bash
# Fetches Google's XLA CPU PJRT plugin (PyPI wheel xla-cpu-pjrt, pinned) into
# ganbook's cache, ${GANBOOK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganbook}/xla/<version>/,
# as pjrt_c_api_cpu_plugin.so: the name go-xla looks for. Nothing system-wide.
# The wheel is checked by pip (--require-hashes), the .so by its own sha256;
# once the .so is there and matches, nothing is downloaded (works offline).
# In CI (CI=true) a failure is fatal; locally it is reported and the XLA tests skip.
set -euo pipefail

version=0.0.1
case "$(uname -m)" in
  x86_64)
    wheel_sha256=55837b6b7b47daa717f2d9a5a03563ea0ceaa338d06a81a1e2d3f060d960decc
    so_sha256=88c3f28c5900f48ad4a82cab9e79bba9537809743395e341485f8794268820dc ;;
  aarch64)
    wheel_sha256=8f613be6e891858f40d64f9799319502fff42689661944fc18a6ffd8210b30c9
    so_sha256=fcf411f3e8ff635c2b2cf87215aa7016f460e66d236c3db08309e7486583532d ;;
  *)
    echo "deps/xla: no xla-cpu-pjrt $version wheel for $(uname -m)" >&2
    [[ "${CI:-}" == true ]] && exit 1
    exit 0 ;;
esac

cache="${GANBOOK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganbook}"
dir="$cache/xla/$version"
plugin="$dir/pjrt_c_api_cpu_plugin.so"

fail() {
  echo "deps/xla: $*" >&2
  if [[ "${CI:-}" == true ]]; then exit 1; fi
  echo "deps/xla: the XLA tests will skip" >&2
  exit 0
}

if [[ -f "$plugin" ]] && echo "$so_sha256  $plugin" | sha256sum --check --status; then
  echo "deps/xla: xla-cpu-pjrt $version already in $dir"
  exit 0
fi

python=${PYTHON:-python3}
command -v "$python" >/dev/null || fail "no $python to run pip"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "xla-cpu-pjrt==$version --hash=sha256:$wheel_sha256" >"$work/requirements.txt"
echo "deps/xla: pip download xla-cpu-pjrt==$version (63 MB)"
"$python" -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
  -r "$work/requirements.txt" -d "$work/wheel" || fail "pip download xla-cpu-pjrt==$version failed"
"$python" - "$work"/wheel/*.whl "$work/so" <<'PY' || fail "cannot unpack the wheel"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extract("xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so", sys.argv[2])
PY
so="$work/so/xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so"
echo "$so_sha256  $so" | sha256sum --check --status ||
  fail "xla_cpu_pjrt.so in the wheel has sha256 $(sha256sum "$so" | cut -d' ' -f1), want $so_sha256"
mkdir -p "$dir"
mv "$so" "$plugin.tmp"
mv "$plugin.tmp" "$plugin"
echo "deps/xla: installed xla-cpu-pjrt $version in $dir"
