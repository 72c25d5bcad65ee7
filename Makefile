# augur: the two commands a new user needs are `make demo` and `make test`.

GO          ?= go
BIN         := bin/augur
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X github.com/augurhq/augur/cmd/augur/app.Version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
PKGS        := ./...

.PHONY: all build demo demo-healthy test test-race lint fmt vet staticcheck bench bench-scheduler bench-scipy refdata deps abuse calibrate fuzz clean screenshots

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/augur

# The main job: simulate a regressed canary end to end and print the verdict.
demo: build
	./$(BIN) demo

demo-healthy: build
	./$(BIN) demo --healthy

# Installs what the tests need (idempotent), checks formatting and vet, then
# runs every test.
test: deps vet fmt-check
	$(GO) test -count=1 $(PKGS)
	cd collector/logs/lokiclient && $(GO) test -count=1 ./...
	cd deploy/argo/conformance && $(GO) test -count=1 ./...

test-race: deps
	$(GO) test -race -count=1 $(PKGS)

deps:
	@scripts/deps.sh

# The web interface's pages in headless chromium, saved as PNG into
# docs/screenshots/ (docs/ui.md shows them).
screenshots: deps
	AUGUR_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run 'TestBrowser' ./cmd/augur/app

lint: vet fmt-check staticcheck

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

fmt:
	gofmt -w $$(git ls-files '*.go')

staticcheck:
	$(GO) run $(STATICCHECK) $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -skip Scheduler1000 -benchmem $(PKGS)

# 1,000 experiments judged every minute on this machine for 3 minutes of
# real time (AUGUR_SCHED_DURATION): prints the scheduling lag.
bench-scheduler:
	$(GO) test -run '^$$' -bench Scheduler1000 -benchtime 1x -timeout 60m ./cmd/augur/app

# Regenerates the judges' reference vectors from scipy and R (Debian's
# python3-scipy and r-base-core, installed here when missing). The JSON is
# committed, so `make test` needs neither.
refdata:
	@REFDATA=1 scripts/deps.sh
	cd judges/testdata && for f in gen_*.R; do [ -e "$$f" ] && Rscript "$$f"; done; \
	for f in gen_*.py; do [ -e "$$f" ] && /usr/bin/python3 "$$f"; done

# Times the same data with scipy and augur and prints the ratio.
bench-scipy:
	@REFDATA=1 scripts/deps.sh
	/usr/bin/python3 scripts/bench_scipy.py

# Replays each hostile request against a fresh server on loopback and
# prints whether a well-behaved sender kept working (docs/hardening.md).
abuse:
	scripts/abuse.sh

# Generates healthy and regressed canaries, judges them through a real
# server and prints false-fail and detection rates per class
# (docs/calibration.md). REPS (default 500), CLASSES, AUGUR_BIN, MARKDOWN.
calibrate:
	REPS="$(REPS)" CLASSES="$(CLASSES)" scripts/calibrate.sh

# Runs every fuzz target (or those matching FUZZ, a regexp) for FUZZTIME
# each; what they find lands in testdata/fuzz and runs in `make test`.
FUZZTIME ?= 60s
FUZZ     ?= .
fuzz:
	@set -e; for f in $$(git grep -l '^func Fuzz' -- '*_test.go'); do \
		pkg=./$$(dirname $$f); \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f | grep -E '$(FUZZ)'); do \
			echo "== $$pkg $$t"; \
			$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

clean:
	rm -rf bin
