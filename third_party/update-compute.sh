#!/usr/bin/env bash
# Rebuilds third_party/compute: github.com/gomlx/compute at the version below,
# from the Go module proxy, without its tests, plus compute.patch, then gofmt'd
# (a few upstream files are not, and this repository keeps every file
# gofmt-clean; formatting changes no code). go.mod's
# replace directive points the build at the result. Run it after changing the
# version or the patch; `go test ./third_party` checks the tree still equals
# upstream + patch.
#
#   third_party/update-compute.sh [DEST]   # DEST defaults to third_party/compute
set -euo pipefail
version=v0.1.2
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-$here/compute}
src=$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "github.com/gomlx/compute@$version" |
  sed -nE 's/^\s*"Dir": "(.*)",?$/\1/p')
[[ -d $src ]] || { echo "update-compute: could not download github.com/gomlx/compute@$version" >&2; exit 1; }
rm -rf "$dest"
cp -r "$src" "$dest"
chmod -R u+w "$dest"
find "$dest" -name '*_test.go' -delete
find "$dest" -depth -type d -name testdata -exec rm -rf {} +
patch --quiet --no-backup-if-mismatch -p1 -d "$dest" <"$here/compute.patch"
gofmt -w "$dest"
