#!/usr/bin/env bash
# Build the local Kubernetes control plane's binaries into a cache outside the repo.
#
# Why build: no package ships kube-apiserver, and no registry can be pulled from here, but the
# Go module proxy works. So kube-apiserver, kube-controller-manager, kube-scheduler and kubectl
# are built from k8s.io/kubernetes, etcd from go.etcd.io/etcd/server/v3 and kwok (node and pod
# simulator) from sigs.k8s.io/kwok, with the machine's Go. Cold: 8-20 min on 2 cores; every
# later call finds the binaries and returns at once.
#
# Layout (each component in a directory named by its version, so a version change in
# versions.env rebuilds it; a component counts only once its .complete stamp exists, and it is
# built in a temporary directory renamed into place, so an interrupted build leaves nothing
# half-done):
#   $SHIPML_CACHE/k8s/kubernetes-v1.37.2/bin/{kube-apiserver,kube-controller-manager,kube-scheduler,kubectl}
#   $SHIPML_CACHE/k8s/etcd-v3.7.3/bin/etcd
#   $SHIPML_CACHE/k8s/kwok-v0.8.0/bin/kwok, .../stages/*.yaml (kwok's stock stages)
#
#   bash tests/support/k8s/build.sh          # build what is missing; prints the cache path
# Run it under `nice -n 19` on a shared machine.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
root="${SHIPML_CACHE:-/var/cache/shipml}/k8s"
go_bin="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
par="${SHIPML_K8S_BUILD_PAR:-2}"
export GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false"

log() { echo "[k8s-build $(date +%T)] $*" >&2; }
die() { echo "k8s-build: $*" >&2; exit 3; }

[[ -x "$go_bin" ]] || die "Go not found (set GO=/path/to/go or install Go >= 1.26): the control plane is built from source"
mkdir -p "$root/src"
exec 9>"$root/.build.lock"
flock 9  # one build at a time (CI step and a test session may race)

# build_component NAME DIR FUNCTION: skip when DIR/.complete exists, else build into DIR.tmp
build_component() {
  local name=$1 dir=$2 fn=$3 t0=$SECONDS
  if [[ -f "$dir/.complete" ]]; then log "$name present: $dir"; return 0; fi
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp/bin"
  log "building $name"
  "$fn" "$dir.tmp"
  date -u +%FT%TZ >"$dir.tmp/.complete"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
  log "$name built in $((SECONDS - t0)) s"
}

# go_module SRC MODULE_PATH REQUIRE...: a throwaway module that requires the given modules
go_module() {
  local src=$1 path=$2; shift 2
  mkdir -p "$src"
  { printf 'module %s\n\ngo 1.26.0\n\nrequire (\n' "$path"
    printf '\t%s\n' "$@"
    printf ')\n'; } >"$src/go.mod"
}

build_etcd() {
  local out=$1 src="$root/src/etcd-v$ETCD_VERSION"
  go_module "$src" shipml.local/etcdbuild "go.etcd.io/etcd/server/v3 v$ETCD_VERSION"
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >"$src/tools.go"
  (cd "$src" && "$go_bin" mod tidy &&
    "$go_bin" build -p "$par" -trimpath -ldflags='-s -w' -o "$out/bin/etcd" go.etcd.io/etcd/server/v3)
}

build_kwok() {
  local out=$1 src="$root/src/kwok-v$KWOK_VERSION" mod
  go_module "$src" shipml.local/kwokbuild "sigs.k8s.io/kwok v$KWOK_VERSION"
  printf '//go:build tools\n\npackage tools\n\nimport _ "sigs.k8s.io/kwok/cmd/kwok"\n' >"$src/tools.go"
  (cd "$src" && "$go_bin" mod tidy &&
    "$go_bin" build -p "$par" -trimpath -ldflags='-s -w' -o "$out/bin/kwok" sigs.k8s.io/kwok/cmd/kwok)
  # The plain kwok binary has no built-in stages: keep the stock ones beside it.
  mod="$(cd "$src" && "$go_bin" list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
  mkdir -p "$out/stages"
  cp "$mod/kustomize/stage/node/fast/node-initialize.yaml" \
    "$mod/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
    "$mod/kustomize/stage/pod/fast/pod-ready.yaml" \
    "$mod/kustomize/stage/pod/fast/pod-complete.yaml" \
    "$mod/kustomize/stage/pod/fast/pod-delete.yaml" "$out/stages/"
  chmod u+w "$out"/stages/*.yaml
}

build_kubernetes() {
  local out=$1 src="$root/src/kubernetes-v$K8S_VERSION" staging="v0.${K8S_VERSION#1.}" gomod minor
  # k8s.io/kubernetes replaces its staging modules (k8s.io/api, ...) with ./staging/...; a
  # consuming module must replace each with the published v0.X.Y of the same release.
  gomod="$(cd "$root/src" && "$go_bin" mod download -json "k8s.io/kubernetes@v$K8S_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  [[ -f "$gomod" ]] || die "could not download k8s.io/kubernetes@v$K8S_VERSION from the Go module proxy"
  go_module "$src" shipml.local/k8sbuild "k8s.io/kubernetes v$K8S_VERSION"
  { printf '\nreplace (\n'
    sed -n '/^replace (/,/^)/p' "$gomod" | awk -v v="$staging" '/=>/ {print "\t" $1 " => " $1 " " v}'
    printf ')\n'; } >>"$src/go.mod"
  cat >"$src/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  minor="${K8S_VERSION#1.}"; minor="${minor%%.*}"
  local ldf="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION"
  ldf+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ldf+=" -X k8s.io/component-base/version.gitTreeState=clean"
  ldf+=" -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION"
  (cd "$src" && "$go_bin" mod tidy &&
    "$go_bin" build -p "$par" -trimpath -ldflags="$ldf" -o "$out/bin/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
}

t_all=$SECONDS
build_component "etcd v$ETCD_VERSION" "$root/etcd-v$ETCD_VERSION" build_etcd
build_component "kwok v$KWOK_VERSION" "$root/kwok-v$KWOK_VERSION" build_kwok
build_component "kubernetes v$K8S_VERSION" "$root/kubernetes-v$K8S_VERSION" build_kubernetes
log "done in $((SECONDS - t_all)) s"
echo "$root"
