#!/usr/bin/env bash
# run-notebooks.sh executes ganbook's notebooks headless in the ganbook kernel (GoNB set up by
# `ganbook kernel install`, installed into a fresh Jupyter data directory) and checks every
# executed notebook with internal/nbcheck (errors, panics, non-zero exits, failed assertions,
# missing pictures). nbconvert itself does not fail on a panicking cell, hence the checker.
#
# Usage:
#   scripts/run-notebooks.sh                  self-test, then every notebooks/*.ipynb
#   scripts/run-notebooks.sh NOTEBOOK...      self-test, then the given notebooks
#   scripts/run-notebooks.sh --self-test      only the self-test: execute the deliberately broken
#                                             internal/nbcheck/testdata/broken.ipynb and require the
#                                             checker to report exactly its failures
#   scripts/run-notebooks.sh --no-self-test [NOTEBOOK...]
#
# Environment (all optional):
#   NOTEBOOK_OUT       where executed copies go (default: a new temporary directory); the sources
#                      in notebooks/ are never overwritten
#   NOTEBOOK_TIMEOUT   seconds allowed per cell (default 900)
#   JUPYTER            jupyter executable (default: the pinned JupyterLab's, in ganbook's
#                      venv-jupyter, installed by scripts/deps/jupyter.sh when missing)
#   JUPYTER_DATA_DIR   where the kernel spec is installed (default: a private temporary directory,
#                      so a run does not touch the user's own kernels)
#   GANBOOK            ganbook binary that installs the kernel (default: built from ./cmd/ganbook)
#   GANBOOK_KERNEL_NAME  kernel name (default ganbook, the name the notebooks use)
#   CI                 when "true", a missing tool is a failure instead of a skip
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

self_test=yes
only_self_test=no
notebooks=()
for arg in "$@"; do
  case "$arg" in
    --self-test) only_self_test=yes ;;
    --no-self-test) self_test=no ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    -*) echo "run-notebooks: unknown flag $arg" >&2; exit 2 ;;
    *) notebooks+=("$arg") ;;
  esac
done
if [[ ${#notebooks[@]} -eq 0 ]]; then
  notebooks=(notebooks/*.ipynb)
fi

export GOEXPERIMENT="${GOEXPERIMENT:-simd}"
export GOMLX_BACKEND="${GOMLX_BACKEND:-go}"
export GOMLX_NO_AUTO_INSTALL=1
jupyter="${JUPYTER:-}"
timeout="${NOTEBOOK_TIMEOUT:-900}"
kernel_name="${GANBOOK_KERNEL_NAME:-ganbook}"

missing() { # missing WHAT: fails in CI, skips locally
  if [[ "${CI:-}" == "true" ]]; then
    echo "run-notebooks: FAIL: $1 (CI=true: a missing tool is a failure)" >&2
    exit 1
  fi
  echo "run-notebooks: SKIP: $1 (install it, or run in CI where it is required)" >&2
  exit 0
}

# Jupyter: the pinned JupyterLab/nbclient/nbconvert in ganbook's venv, installed when absent.
if [[ -z "${JUPYTER:-}" ]]; then
  jupyter="$(scripts/deps/jupyter.sh | tail -n 1)/jupyter"
fi
[[ -x "$jupyter" ]] || missing "$jupyter not found"
"$jupyter" nbconvert --version >/dev/null 2>&1 || missing "jupyter nbconvert not available"
# The doctor below cross-checks with the `jupyter` it finds on PATH: this one.
export PATH="$(dirname "$jupyter"):$PATH"
command -v go >/dev/null || missing "go not found"

work="$(mktemp -d "${TMPDIR:-/tmp}/ganbook-notebooks.XXXXXX")"
out="${NOTEBOOK_OUT:-$work/executed}"
mkdir -p "$out"
export JUPYTER_DATA_DIR="${JUPYTER_DATA_DIR:-$work/jupyter}"
# Notebooks 06 and 07 share a tracker database in the temporary directory and 07 reuses the
# runs it finds there: a fresh directory per run keeps runs recorded by older code out.
mkdir -p "$work/tmp"
export TMPDIR="$work/tmp"

ganbook="${GANBOOK:-}"
if [[ -z "$ganbook" ]]; then
  ganbook="$work/ganbook"
  go build -o "$ganbook" ./cmd/ganbook
fi
"$ganbook" kernel install --name "$kernel_name" --jupyter-data-dir "$JUPYTER_DATA_DIR"
"$jupyter" kernelspec list
# The doctor checks what the notebooks need, `jupyter kernelspec list` seeing the kernel included.
if ! "$ganbook" kernel doctor --name "$kernel_name" --jupyter-data-dir "$JUPYTER_DATA_DIR"; then
  echo "run-notebooks: ganbook kernel doctor found a problem (the FAIL lines above)" >&2
  exit 1
fi
go build -o "$work/nbcheck" ./internal/nbcheck/cmd/nbcheck

seconds_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# execute NOTEBOOK [NAME]: runs it into $out (as NAME.ipynb, default the notebook's own name) (errors are recorded in the outputs, for the checker to find);
# prints the seconds it took. Fails only when nbconvert itself fails (timeout, dead kernel).
execute() {
  local nb="$1" name log start status
  name="${2:-$(basename "$nb" .ipynb)}"
  log="$out/$name.log"
  start=$EPOCHREALTIME
  status=0
  "$jupyter" nbconvert --to notebook --execute --allow-errors \
    --ExecutePreprocessor.kernel_name="$kernel_name" \
    --ExecutePreprocessor.timeout="$timeout" \
    --output-dir "$out" --output "$name" "$nb" >"$log" 2>&1 || status=$?
  elapsed=$(seconds_since "$start")
  if [[ $status -ne 0 ]]; then
    echo "run-notebooks: nbconvert failed on $nb (exit $status); last lines of $log:" >&2
    grep -v '^[IWE][0-9]\{4\} ' "$log" | tail -n 25 >&2 || true
    return 1
  fi
}

failures=0
if [[ "$self_test" == yes || "$only_self_test" == yes ]]; then
  echo "run-notebooks: self-test: the checker must fail on internal/nbcheck/testdata/broken.ipynb"
  if execute internal/nbcheck/testdata/broken.ipynb &&
    "$work/nbcheck" -expect 'assertion failed,panic,non-zero exit status,error output,GoNB error' "$out/broken.ipynb"; then
    printf 'run-notebooks: self-test passed (%.1f s)\n' "$elapsed"
  else
    echo "run-notebooks: self-test FAILED: the checker did not report the broken notebook's failures" >&2
    failures=$((failures + 1))
  fi
fi
if [[ "$only_self_test" == yes ]]; then
  rm -rf "$work/jupyter"
  exit $((failures > 0))
fi

summary=()
total_start=$EPOCHREALTIME
for nb in "${notebooks[@]}"; do
  echo "run-notebooks: executing $nb"
  result=ok
  if ! execute "$nb"; then
    result=FAIL
  elif ! "$work/nbcheck" "$out/$(basename "$nb")"; then
    result=FAIL
  fi
  [[ $result == ok ]] || failures=$((failures + 1))
  summary+=("$(printf '%-5s %7.1f s  %s' "$result" "$elapsed" "$nb")")
done

# --- XLA: the training notebook once more, in a kernel installed for XLA's CPU plugin
# (scripts/deps/xla.sh puts it in ganbook's cache). Without the plugin the doctor fails:
# a failure with CI=true, a skip otherwise. The executed copy must name the plugin.
xla_notebook=notebooks/06-train-mnist.ipynb
if [[ " ${notebooks[*]} " == *" $xla_notebook "* ]]; then
  xla_kernel="$kernel_name-xla"
  "$ganbook" kernel install --name "$xla_kernel" --backend xla:cpu --jupyter-data-dir "$JUPYTER_DATA_DIR" >/dev/null
  if ! "$ganbook" kernel doctor --name "$xla_kernel" --jupyter-data-dir "$JUPYTER_DATA_DIR" >"$out/doctor-xla.log" 2>&1; then
    grep FAIL "$out/doctor-xla.log" >&2 || true
    if [[ "${CI:-}" == "true" ]]; then
      failures=$((failures + 1))
      summary+=("FAIL          $xla_notebook on XLA (no usable XLA CPU plugin; CI=true requires it)")
    else
      summary+=("SKIP          $xla_notebook on XLA (no XLA CPU plugin: run scripts/deps/xla.sh)")
    fi
  else
    echo "run-notebooks: executing $xla_notebook on XLA (kernel $xla_kernel)"
    result=ok
    main_kernel="$kernel_name"
    kernel_name="$xla_kernel"
    if ! execute "$xla_notebook" "$(basename "$xla_notebook" .ipynb)-xla"; then
      result=FAIL
    elif ! "$work/nbcheck" "$out/$(basename "$xla_notebook" .ipynb)-xla.ipynb"; then
      result=FAIL
    elif ! grep -q "plugin xla-cpu-pjrt" "$out/$(basename "$xla_notebook" .ipynb)-xla.ipynb"; then
      echo "run-notebooks: $xla_notebook on XLA: its output does not name the XLA plugin" >&2
      result=FAIL
    fi
    kernel_name="$main_kernel"
    [[ $result == ok ]] || failures=$((failures + 1))
    summary+=("$(printf '%-5s %7.1f s  %s on XLA' "$result" "$elapsed" "$xla_notebook")")
  fi
fi
# --- end XLA

total=$(seconds_since "$total_start")

echo
echo "run-notebooks: summary (executed copies in $out, kept if anything failed or NOTEBOOK_OUT is set)"
printf '  %s\n' "${summary[@]}"
printf '  total %.1f s for %d notebook(s), %d failure(s)\n' "$total" "${#notebooks[@]}" "$failures"
if [[ $failures -eq 0 && -z "${NOTEBOOK_OUT:-}" ]]; then
  rm -rf "$work" # nothing to inspect
else
  rm -rf "$work/jupyter"
fi
exit $((failures > 0))
