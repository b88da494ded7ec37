# ganbook's two entry points: `make train` (the main job) and `make test` (everything CI runs).
SHELL := /bin/bash
# The go backend's fast SIMD matmul is compiled only with this experiment.
export GOEXPERIMENT := simd
# go-xla must never try to download a PJRT plugin on its own.
export GOMLX_NO_AUTO_INSTALL := 1

.PHONY: train test test-go test-notebooks deps bench

# Train the default GAN (MLP on MNIST, ~5 minutes on 2 cores) and record it in ./ganbook.db.
train:
	go run ./cmd/ganbook train $(ARGS)

# The whole suite: installs what the tests need, vets, runs every Go test (browser
# tests included) and executes every notebook headless.
test: deps test-go test-notebooks

deps:
	scripts/install-test-deps.sh

test-go:
	go vet ./...
	rm -f .cache/xla-tests.txt && mkdir -p .cache
	GANBOOK_XLA_TEST_REPORT=$(CURDIR)/.cache/xla-tests.txt GOMLX_BACKEND=go go test -count=1 -timeout 40m ./...
	# The SIMD and assembly kernels once more under the race detector, whose
	# pointer checks catch a vector load or store past a slice's allocation.
	go test -race -count=1 ./internal/gemm/ ./internal/vecmath/
	@cat .cache/xla-tests.txt 2>/dev/null; awk '{n += $$3} END {print "XLA tests run:", n + 0}' .cache/xla-tests.txt 2>/dev/null

test-notebooks:
	scripts/run-notebooks.sh

bench:
	bench/compare-torch
