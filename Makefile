# fluent-bit-sigma: `make plugin`, `make test`, `make bench`, `make run`.
GO         ?= go
BUILD      := build
PLUGIN     := $(BUILD)/flb-filter_sigma.so
# Export only filter_sigma_plugin from the library.
LDFLAGS    := -s -w -extldflags=-Wl,--version-script=$(CURDIR)/plugin/exports.map
SOURCES    := $(shell find plugin filter rules internal -type f \( -name '*.go' -o -name '*.c' -o -name '*.h' -o -name '*.yml' -o -name '*.map' \) -not -name '*_test.go') go.mod go.sum
SAMPLES    := $(CURDIR)/conf/samples/sysmon-image-load.jsonl
FLUENT_BIT ?= $(shell command -v fluent-bit 2>/dev/null || ls /opt/fluent-bit/bin/fluent-bit 2>/dev/null)
BENCHTIME  ?= 1s
IMAGE      ?= fluent-bit-sigma
FLUENT_BIT_VERSION ?= 5.1.1
FUZZTIME   ?= 10s

.PHONY: all plugin test lint bench fuzz soak run docker clean

all: plugin

plugin: $(PLUGIN)

$(PLUGIN): $(SOURCES)
	CGO_ENABLED=1 $(GO) build -buildmode=c-shared -trimpath -ldflags '$(LDFLAGS)' -o $@ ./plugin

# Every test; the end-to-end tests in tests/ load $(PLUGIN) through a host
# program that stands in for Fluent Bit. -tags sigmatest builds
# plugin/testhooks.c, the C the plugin's boundary tests call, which the
# library itself leaves out.
# The SigmaHQ tests (regression data, conformance, the corpus) read
# ../shared/sigmahq or SIGMAHQ; without it they skip, and this says so.
SIGMAHQ_DIR := $(or $(SIGMAHQ),$(CURDIR)/../shared/sigmahq)

test: $(PLUGIN)
	@[ -d "$(SIGMAHQ_DIR)" ] || echo "make test: no SigmaHQ data at $(SIGMAHQ_DIR): the SigmaHQ regression, conformance and corpus tests are skipped; to run them, SIGMAHQ=/path/to/sigma make test (a checkout of github.com/SigmaHQ/sigma)"
	$(GO) vet -tags sigmatest ./...
	SIGMA_PLUGIN=$(CURDIR)/$(PLUGIN) $(GO) test -tags sigmatest -count=1 ./...
	SIGMA_PLUGIN=$(CURDIR)/$(PLUGIN) $(GO) test -tags sigmatest -count=1 -race ./filter ./rules ./plugin ./tests

# Formatting and static checks (CI runs them; staticcheck from the Go module
# proxy: go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)).
STATICCHECK_VERSION := v0.8.2
STATICCHECK ?= $(or $(shell command -v staticcheck 2>/dev/null),$(shell $(GO) env GOPATH)/bin/staticcheck)
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt -l: not formatted:"; echo "$$unformatted"; exit 1; fi
	$(STATICCHECK) -tags sigmatest ./...

# The corpus benchmarks (./tests) need ../shared/sigmahq or SIGMAHQ.
bench:
	$(GO) test -tags sigmatest -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./filter ./rules ./plugin ./tests

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzProcess -fuzztime $(FUZZTIME) ./filter
	$(GO) test -run '^$$' -fuzz FuzzTextRecord -fuzztime $(FUZZTIME) ./filter
	$(GO) test -run '^$$' -fuzz FuzzEnrich -fuzztime $(FUZZTIME) ./filter
	$(GO) test -run '^$$' -fuzz FuzzPattern -fuzztime $(FUZZTIME) ./rules
	$(GO) test -run '^$$' -fuzz FuzzCondition -fuzztime $(FUZZTIME) ./rules
	$(GO) test -run '^$$' -fuzz FuzzCompile -fuzztime $(FUZZTIME) ./rules
	$(GO) test -run '^$$' -fuzz FuzzAutomaton -fuzztime $(FUZZTIME) ./internal/ahocorasick

# Runs Fluent Bit with conf/ over the bundled samples. Without a Fluent Bit,
# says what to install and runs the same samples through the filter engine
# with cmd/sigma-check instead.
run: $(PLUGIN)
	@if [ -n "$(FLUENT_BIT)" ]; then \
		echo "running $(FLUENT_BIT) -c conf/fluent-bit.conf"; \
		SIGMA_SAMPLES=$(SAMPLES) $(FLUENT_BIT) -c conf/fluent-bit.conf; \
	else \
		echo "make run: no Fluent Bit found on PATH or in FLUENT_BIT." >&2; \
		echo "  Install Fluent Bit 3.2 to 5.1 (https://docs.fluentbit.io/manual/installation), or" >&2; \
		echo "  point FLUENT_BIT at a binary: make run FLUENT_BIT=/path/to/fluent-bit" >&2; \
		echo "  Meanwhile, the same samples through the same engine (cmd/sigma-check):" >&2; \
		$(GO) run ./cmd/sigma-check -all $(SAMPLES); \
	fi

# The soak run: SOAK_RECORDS (default 20,000,000) records through the plugin
# in the host with the whole SigmaHQ rule set (../shared/sigmahq or
# SIGMAHQ), resident memory sampled; see tests/soak_test.go.
SOAK_RECORDS ?= 20000000
soak: $(PLUGIN)
	SOAK_RECORDS=$(SOAK_RECORDS) SIGMA_PLUGIN=$(CURDIR)/$(PLUGIN) $(GO) test -run '^$$' -bench BenchmarkSoak -benchtime 1x -timeout 2h -v ./tests

# The container image (Dockerfile): the official Fluent Bit image with the
# plugin, the healthcheck tool and the default configuration.
docker:
	docker build --build-arg FLUENT_BIT_VERSION=$(FLUENT_BIT_VERSION) \
		-t $(IMAGE):$(FLUENT_BIT_VERSION) -t $(IMAGE):latest .

clean:
	rm -rf $(BUILD)
