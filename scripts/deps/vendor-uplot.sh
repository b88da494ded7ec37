#!/usr/bin/env bash
# Vendors uPlot (the web UI's chart library) from npm at a pinned version
# into tracker/web/static/vendor/uplot: its minified script, stylesheet and
# licence, embedded in the binary with go:embed. Nothing is loaded from a
# CDN. Run it to move to another version (change UPLOT_VERSION).
set -euo pipefail
UPLOT_VERSION=1.6.32
dest="$(cd "$(dirname "$0")/../.." && pwd)/tracker/web/static/vendor/uplot"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "uplot@${UPLOT_VERSION}" >/dev/null && tar xzf "uplot-${UPLOT_VERSION}.tgz")
mkdir -p "$dest"
cp "$tmp/package/dist/uPlot.iife.min.js" "$tmp/package/dist/uPlot.min.css" "$tmp/package/LICENSE" "$dest/"
integrity="$(cd "$tmp" && npm view "uplot@${UPLOT_VERSION}" dist.integrity)"
printf 'uplot %s (npm, %s)\n' "$UPLOT_VERSION" "$integrity" >"$dest/VERSION"
(cd "$dest" && sha256sum uPlot.iife.min.js uPlot.min.css LICENSE >>VERSION)
echo "vendored uPlot ${UPLOT_VERSION} into $dest"
