#!/usr/bin/env bash
# Build cosign from the Go module proxy into a cache outside the repo, once per version.
#
# Why build: no Debian package ships cosign and GitHub downloads cannot be reached here, but
# the Go module proxy works (cold: 3-10 min on 2 cores, mostly module downloads; warm: a check
# of the stamp). Users on hosted runners install it with sigstore/cosign-installer instead.
#
#   $SHIPML_CACHE/cosign-v2.6.5/bin/cosign      (SHIPML_CACHE defaults to /var/cache/shipml)
#   bash tests/support/cosign/build.sh          # build if missing; prints the binary's path
# Counted only once its .complete stamp exists; built in a temporary directory renamed into place.
set -euo pipefail
version="${COSIGN_VERSION:-v2.6.5}"
root="${SHIPML_CACHE:-/var/cache/shipml}"
dir="$root/cosign-$version"
go_bin="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
if [[ -f "$dir/.complete" && -x "$dir/bin/cosign" ]]; then echo "$dir/bin/cosign"; exit 0; fi
[[ -x "$go_bin" ]] || { echo "cosign-build: Go not found (set GO=/path/to/go): cosign is built from source" >&2; exit 3; }
mkdir -p "$root"
exec 9>"$root/.cosign-build.lock"
flock 9
if [[ -f "$dir/.complete" && -x "$dir/bin/cosign" ]]; then echo "$dir/bin/cosign"; exit 0; fi
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp/bin"
echo "[cosign-build $(date +%T)] building cosign $version" >&2
GOTOOLCHAIN=local GOFLAGS="-buildvcs=false" GOBIN="$dir.tmp/bin" \
  "$go_bin" install "github.com/sigstore/cosign/v2/cmd/cosign@$version" >&2
"$dir.tmp/bin/cosign" version >/dev/null
date -u +%FT%TZ >"$dir.tmp/.complete"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "$dir/bin/cosign"
