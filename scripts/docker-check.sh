#!/usr/bin/env bash
# docker-check: build the Dockerfile with podman on a machine with no Docker
# engine and no container registry, only Debian's apt mirror and the Go module
# proxy. The Dockerfile's RUN lines (blasbatch env, a small SVD batch) are the
# check: the image builds only if they pass. Ends with a PASS or FAIL line.
#
#   scripts/docker-check.sh [--refresh-base]
#
# What it does, as root (it re-runs itself under sudo otherwise):
#   1. installs podman and debootstrap from Debian if they are missing;
#   2. makes the base image debian:bookworm with debootstrap --variant=minbase
#      and `podman import` (the rootfs tarball is cached, the image is kept);
#   3. imports the host's Go toolchain as localhost/blasbatch-go:<version>,
#      the Dockerfile's GO_IMAGE (see the Dockerfile's header);
#   4. go mod download on the host, served to the build as a file:// GOPROXY;
#   5. podman build --isolation chroot --network host -t blasbatch:check .
#
# --refresh-base (or BLASBATCH_REFRESH_BASE=1) throws away the cached rootfs
# and both local images and makes them again.
#
# Environment:
#   XDG_CACHE_HOME         cache root (default ~/.cache); the rootfs tarball
#                          lives in $XDG_CACHE_HOME/blasbatch/
#   DEBIAN_MIRROR          debootstrap and apt mirror (default deb.debian.org)
#   DEBIAN_SECURITY_MIRROR the security archive (default: DEBIAN_MIRROR with
#                          /debian replaced by /debian-security)
#   PODMAN_STORAGE_DRIVER  e.g. vfs where overlay does not work (default:
#                          podman's own choice, overlay)
#   IMAGE                  tag of the image built (default blasbatch:check)
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
  exec sudo --preserve-env=XDG_CACHE_HOME,DEBIAN_MIRROR,DEBIAN_SECURITY_MIRROR,PODMAN_STORAGE_DRIVER,IMAGE,BLASBATCH_REFRESH_BASE \
    bash "$0" "$@"
fi

cd "$(dirname "$0")/.."

refresh=${BLASBATCH_REFRESH_BASE:-0}
for arg in "$@"; do
  case $arg in
    --refresh-base) refresh=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "docker-check: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

IMAGE=${IMAGE:-blasbatch:check}
BASE_IMAGE=debian:bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/blasbatch
ROOTFS_TAR=$CACHE_DIR/debian-bookworm-minbase.tar.gz

start=$(date +%s)
passed=0
workdir=
on_exit() {
  rc=$?
  [ -n "$workdir" ] && rm -rf "$workdir"
  if [ "$passed" = 1 ]; then
    echo "docker-check: PASS: $IMAGE built, blasbatch ran inside it ($(( $(date +%s) - start ))s)"
  else
    echo "docker-check: FAIL (exit $rc after $(( $(date +%s) - start ))s; see the output above)"
    [ "$rc" = 0 ] && rc=1
  fi
  exit "$rc"
}
trap on_exit EXIT

log() { printf '==> %s\n' "$*" >&2; }

# podman as root, cgroupfs: there is no systemd to manage cgroups here.
podman=(podman --cgroup-manager=cgroupfs)
if [ -n "${PODMAN_STORAGE_DRIVER:-}" ]; then
  podman+=(--storage-driver "$PODMAN_STORAGE_DRIVER")
fi

# 1. Host packages.
need=()
command -v podman >/dev/null || need+=(podman)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# The Go toolchain to put in the image: the host's.
GO=$(command -v go || true)
[ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
[ -n "$GO" ] || { echo "docker-check: no Go toolchain on this host (PATH or /usr/local/go)" >&2; exit 1; }
GOROOT_HOST=$("$GO" env GOROOT)
GOVERSION=$("$GO" env GOVERSION)
GO_IMAGE=localhost/blasbatch-go:$GOVERSION

if [ "$refresh" = 1 ]; then
  log "refreshing: removing $ROOTFS_TAR, $BASE_IMAGE and $GO_IMAGE"
  rm -f "$ROOTFS_TAR"
  "${podman[@]}" rmi -f "localhost/$BASE_IMAGE" "$GO_IMAGE" >/dev/null 2>&1 || true
fi

# 2. Base image: what `FROM debian:bookworm` finds without a registry.
if "${podman[@]}" image exists "$BASE_IMAGE"; then
  log "$BASE_IMAGE: present"
else
  if [ ! -s "$ROOTFS_TAR" ]; then
    log "debootstrap --variant=minbase bookworm from $MIRROR"
    mkdir -p "$CACHE_DIR"
    workdir=$(mktemp -d "${TMPDIR:-/tmp}/blasbatch-rootfs.XXXXXX")
    debootstrap --variant=minbase bookworm "$workdir/rootfs" "$MIRROR" >"$workdir/debootstrap.log" 2>&1 \
      || { tail -n 30 "$workdir/debootstrap.log" >&2; exit 1; }
    # Apt sources as in the official image: the release, its updates and the
    # security archive.
    rm -f "$workdir/rootfs/etc/apt/sources.list"
    security=${DEBIAN_SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}
    cat >"$workdir/rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    rm -rf "$workdir/rootfs/var/lib/apt/lists/"* "$workdir/rootfs/var/cache/apt/"*.bin \
           "$workdir/rootfs/var/cache/apt/archives/"*.deb
    : >"$workdir/rootfs/etc/resolv.conf"
    tar --numeric-owner -C "$workdir/rootfs" -czf "$ROOTFS_TAR.tmp" .
    mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
    rm -rf "$workdir"; workdir=
  else
    log "using cached rootfs $ROOTFS_TAR"
  fi
  log "podman import -> $BASE_IMAGE"
  "${podman[@]}" import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    "$ROOTFS_TAR" "$BASE_IMAGE" >/dev/null
fi

# 3. The Go toolchain image (/usr/local/go only), once per Go version.
if "${podman[@]}" image exists "$GO_IMAGE"; then
  log "$GO_IMAGE: present"
else
  log "podman import $GOROOT_HOST -> $GO_IMAGE (/usr/local/go)"
  tar --numeric-owner -C "$GOROOT_HOST" --transform 's,^\.,usr/local/go,' -c . \
    | "${podman[@]}" import --quiet - "$GO_IMAGE" >/dev/null
fi

# 4. The Go modules, fetched on the host (which trusts whatever TLS setup it
# has) and served to the build read-only from the host's module cache as a
# file:// GOPROXY. A container does not share the host's CA store, so on a
# machine whose HTTPS goes through an intercepting proxy a `go mod download`
# from proxy.golang.org inside the build fails with "certificate signed by
# unknown authority". go.sum still verifies every module, so the checksum
# database is not consulted (GOSUMDB=off).
log "go mod download (host)"
"$GO" mod download
modcache=$("$GO" env GOMODCACHE)/cache/download

# 5. The build; its RUN lines are the check.
log "podman build -t $IMAGE ."
"${podman[@]}" build --isolation chroot --network host \
  --volume "$modcache:/var/cache/goproxy:ro" \
  --build-arg "GO_IMAGE=$GO_IMAGE" \
  --build-arg GOPROXY=file:///var/cache/goproxy \
  --build-arg GOSUMDB=off \
  -t "$IMAGE" .

passed=1
