# augur: the two commands a new user needs are `make demo` and `make test`.

GO          ?= go
BIN         := bin/augur
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X github.com/augurhq/augur/cmd/augur/app.Version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
PKGS        := ./...

.PHONY: all build demo demo-healthy test test-race lint fmt vet staticcheck bench deps clean

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

test-race: deps
	$(GO) test -race -count=1 $(PKGS)

deps:
	@scripts/deps.sh

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
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin
