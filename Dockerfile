# blasbatch in a container: Debian 12 (bookworm), Debian's OpenBLAS (pthread)
# and reference LAPACKE, the packages of `make deps`, and Go 1.26. The build
# ends by running blasbatch, so a successful `docker build` / `podman build`
# is itself the check that the cgo link against OpenBLAS works on a clean
# Debian 12 system.
#
#   docker build -t blasbatch .
#   docker run --rm blasbatch env
#
# Where Go comes from. Debian 12's own golang package (1.19) is far too old
# for go.mod, and the image must not download a Go tarball at build time. The
# toolchain is therefore copied out of a Go image, named by the GO_IMAGE build
# argument:
#   - with access to a container registry (the normal case) GO_IMAGE is the
#     official golang:1.26-bookworm and nothing needs to be passed;
#   - offline, scripts/docker-check.sh (`make docker-check`) imports the
#     host's own GOROOT as a local image holding only /usr/local/go and passes
#     --build-arg GO_IMAGE=localhost/blasbatch-go:<version>.
# This was chosen over copying a toolchain into the build context
# (COPY .docker-go /usr/local/go): the Dockerfile stays the same for both
# paths, the context stays the source tree (no 270 MB of toolchain in it, no
# stray folder in the work tree), and the offline toolchain image is made
# once per Go version instead of once per check.
#
# The Go modules come from the Go module proxy (`go mod download`), so a plain
# build needs network access. scripts/docker-check.sh instead serves the
# host's module cache as a file:// GOPROXY (GOPROXY and GOSUMDB build
# arguments): where the host's HTTPS goes through an intercepting proxy, the
# container does not trust that proxy's CA. go.sum verifies the modules
# either way.

ARG GO_IMAGE=golang:1.26-bookworm
FROM ${GO_IMAGE} AS gotoolchain

FROM debian:bookworm

# ARG, not ENV: noninteractive apt for the build only, not in the image.
ARG DEBIAN_FRONTEND=noninteractive
WORKDIR /src

# The Debian packages: the Makefile's DEB_PACKAGES list is the single source
# of truth, so install make and let `make deps` install the rest.
# ca-certificates is for the HTTPS fetches of `go mod download`.
COPY Makefile ./
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends make ca-certificates \
 && make deps \
 && rm -rf /var/lib/apt/lists/*

COPY --from=gotoolchain /usr/local/go /usr/local/go
ENV PATH=/usr/local/go/bin:/root/go/bin:$PATH
RUN go version && go env CC CGO_ENABLED

# Unset (the normal case), the toolchain's defaults apply: proxy.golang.org
# and sum.golang.org.
ARG GOPROXY
ARG GOSUMDB
COPY go.mod go.sum ./
RUN go mod download && go env GOPROXY GOSUMDB

# The Go build cache is a cache mount (BuildKit, podman/buildah): after a
# source change only the changed packages recompile, not the standard library
# and the dependencies (about 2 s instead of 1.5 min here).
COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build \
    make build \
 && install -m 0755 bin/blasbatch /usr/local/bin/blasbatch

# The check: blasbatch starts, reports the BLAS it linked, and runs a small
# SVD batch end to end (exit status 0 only when every item succeeded; one
# JSON Lines record per matrix).
RUN blasbatch env
RUN blasbatch gen -size 64 -count 8 -dir /tmp/d \
 && blasbatch run -kernel svd -jsonl /tmp/d.jsonl /tmp/d \
 && test "$(wc -l < /tmp/d.jsonl)" -eq 8 \
 && rm -rf /tmp/d /tmp/d.jsonl

ENTRYPOINT ["blasbatch"]
CMD ["env"]
