# blasbatch — build, test and measure. `make help` lists the targets.
#
# On Debian's amd64 OpenBLAS (pthreads) and LAPACKE are linked in from their
# static archives (blas/openblas_static.go; -tags openblas_shared, or any
# other platform, links the shared libraries pkg-config names), so plain
# `go build` works once `make deps` has installed the Debian packages.

GO        ?= go
BIN       := bin/blasbatch
PKGS      := ./...
STATICCHECK_VERSION := v0.8.2
BENCHSTAT_VERSION   := v0.0.0-20260908200009-22c9c6c9d4da
GOBIN     := $(shell $(GO) env GOPATH)/bin

# Debian 12 packages: OpenBLAS (the pthread build, whose static archive is
# linked in), reference LAPACKE on top of it (and the tmglib its archive
# names), NumPy for the interoperability tests and the anchors, hyperfine,
# time, bc and strace for the measurement scripts.
DEB_PACKAGES := build-essential pkg-config libopenblas-dev libopenblas-pthread-dev liblapacke-dev libtmglib-dev \
                python3 python3-numpy python3-scipy python3-joblib parallel hyperfine time bc strace

.PHONY: help deps build test test-short test-purego test-slurm lint bench demo anchor docker-check clean

help:
	@echo "make deps         install the Debian packages blasbatch needs (as root)"
	@echo "make build        build $(BIN)"
	@echo "make test         the whole test suite (race detector on, NumPy interop included)"
	@echo "make test-slurm   a real one-node Slurm (as root): array job, merge, cancel and resubmit"
	@echo "make lint         gofmt -s, go vet, staticcheck, the darwin and linux/arm64 pure-Go builds: fails if anything is printed"
	@echo "make bench        Go benchmarks (kernels, splits) for benchstat"
	@echo "make demo         deps + build + the question's workload on this machine"
	@echo "make anchor       blasbatch against the NumPy anchors (alternated, medians)"
	@echo "make docker-check build the Dockerfile with podman (not part of make test)"

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "deps: all Debian packages present"; fi

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/blasbatch

test: build
	BLASBATCH_REQUIRE_NUMPY=1 $(GO) test -race -count=1 $(PKGS)
	CGO_ENABLED=0 $(GO) test -count=1 $(PKGS)

test-slurm: build
	scripts/test-slurm.sh

test-short:
	$(GO) test -short $(PKGS)

test-purego:
	CGO_ENABLED=0 $(GO) test -count=1 $(PKGS)

$(GOBIN)/staticcheck:
	GOFLAGS= $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# The pure-Go build must also build where blasbatch is not developed: macOS
# and 64-bit ARM Linux (no cgo, so gonum's LAPACK).
lint: $(GOBIN)/staticcheck
	@out=$$(gofmt -s -l . ; $(GO) vet $(PKGS) 2>&1; $(GOBIN)/staticcheck $(PKGS) 2>&1; \
	  GOOS=darwin CGO_ENABLED=0 $(GO) build $(PKGS) 2>&1; GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(PKGS) 2>&1; \
	  $(GO) vet -tags openblas_shared ./blas/ 2>&1); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi

bench:
	$(GO) test -run '^$$' -bench . -count 5 ./bench/ | tee bench.txt

demo: deps build
	$(BIN) env
	@echo "--- the question's workload, every split that fits this machine:"
	$(BIN) scale -kernel svd -size 1000 -count 16 -dir demo-data -json demo-scale.json -plot demo-scale.png
	@echo "--- the default plan on the same files:"
	$(BIN) plan -kernel svd demo-data | head -2
	$(BIN) run -kernel svd -jsonl demo-results.jsonl demo-data
	@echo "--- first record of demo-results.jsonl:"
	@head -1 demo-results.jsonl | cut -c1-200

anchor: deps build
	bench/anchor.sh

docker-check:
	scripts/docker-check.sh

clean:
	rm -rf bin demo-data demo-results.jsonl demo-scale.json demo-scale.png bench.txt
