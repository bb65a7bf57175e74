# fluent-bit-sigma: `make plugin`, `make test`, `make bench`, `make run`,
# `make dist`.
GO         ?= go
BUILD      := build
# The release, from git describe (v1.2.3, v1.2.3-4-gabcdef0, -dirty), else
# dev. It goes into the library (internal/version and the C description)
# and sigma-check; never into a generated source file.
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
ifneq ($(shell printf '%s' '$(VERSION)' | tr -d 'A-Za-z0-9._+-'),)
$(error VERSION may hold only letters, digits and . _ + -, not "$(VERSION)")
endif
# The target architecture: the host's by default; make plugin GOARCH=arm64
# cross-compiles with Debian's gcc-aarch64-linux-gnu into build/linux-arm64/.
HOSTARCH   := $(shell $(GO) env GOHOSTARCH)
GOARCH     ?= $(HOSTARCH)
CC_amd64   ?= x86_64-linux-gnu-gcc
CC_arm64   ?= aarch64-linux-gnu-gcc
ifeq ($(GOARCH),$(HOSTARCH))
PLUGIN     ?= $(BUILD)/flb-filter_sigma.so
TARGET_CC  ?= $(CC)
else
PLUGIN     ?= $(BUILD)/linux-$(GOARCH)/flb-filter_sigma.so
TARGET_CC  ?= $(CC_$(GOARCH))
endif
# The glibc floor (plugin/glibc_compat.c, tests/glibc_test.go): the pthread
# and dl functions newer glibcs version 2.32/2.34 are bound at their
# original versions, and libpthread/libdl are loaded where they still hold
# them. Export only filter_sigma_plugin from the library.
GLIBC_WRAP := pthread_create pthread_key_create pthread_setspecific pthread_once pthread_sigmask \
              pthread_getattr_np pthread_attr_getstack pthread_attr_getstacksize dlsym
EXTLDFLAGS := -Wl,--version-script=$(CURDIR)/plugin/exports.map $(foreach f,$(GLIBC_WRAP),-Wl,--wrap=$(f)) \
              -Wl,--push-state,--no-as-needed,-l:libpthread.so.0,-l:libdl.so.2,--pop-state
# -trimpath, no Go build ID (its hash covers the absolute path of
# exports.map) and the fixed flags make the build reproducible in any
# directory (tests/dist_test.go).
VERSION_FLAG := -X github.com/fluent-bit-sigma/fluent-bit-sigma/internal/version.Version=$(VERSION)
LDFLAGS    := -s -w -buildid= $(VERSION_FLAG) -extldflags '$(EXTLDFLAGS)'
LIBENV     = CGO_ENABLED=1 GOOS=linux GOARCH=$(GOARCH) CC=$(TARGET_CC) CGO_CFLAGS='-O2 -g -DSIGMA_VERSION="$(VERSION)"'
# make test-arm64: the cross compiler, the emulator and the arm64 C library.
ARM64_CC      ?= aarch64-linux-gnu-gcc
ARM64_SYSROOT ?= /usr/aarch64-linux-gnu
QEMU_AARCH64  ?= $(shell command -v qemu-aarch64 2>/dev/null || command -v qemu-aarch64-static 2>/dev/null)
ARM64_TOOLS   := $(and $(shell command -v $(ARM64_CC) 2>/dev/null),$(QEMU_AARCH64),$(wildcard $(ARM64_SYSROOT)/lib/libc.so.6))
ARM64_PLUGIN  := $(BUILD)/linux-arm64/flb-filter_sigma.so
SOURCES    := $(shell find plugin filter rules internal -type f \( -name '*.go' -o -name '*.c' -o -name '*.h' -o -name '*.yml' -o -name '*.map' \) -not -name '*_test.go') go.mod go.sum
SAMPLES    := $(CURDIR)/conf/samples/sysmon-image-load.jsonl
FLUENT_BIT ?= $(shell command -v fluent-bit 2>/dev/null || ls /opt/fluent-bit/bin/fluent-bit 2>/dev/null)
BENCHTIME  ?= 1s
IMAGE      ?= fluent-bit-sigma
FLUENT_BIT_VERSION ?= 5.1.1
# A count of executions, not a duration: Go 1.26's fuzz coordinator can fail
# a duration-bounded run with "context deadline exceeded" when the deadline
# races a busy worker (go.dev/issue/75804, fixed in Go 1.27); a count has no
# deadline. A duration (FUZZTIME=1m) still works for longer local runs.
FUZZTIME   ?= 20000x

.PHONY: all plugin test test-arm64 test-dist lint bench fuzz soak run docker docker-multiarch dist clean FORCE

all: plugin

plugin: $(PLUGIN)

# The version is a prerequisite through $(BUILD)/.version-$(GOARCH), so a
# new commit rebuilds the library.
$(PLUGIN): $(SOURCES) $(BUILD)/.version-$(GOARCH)
	$(LIBENV) $(GO) build -buildmode=c-shared -trimpath -ldflags "$(LDFLAGS)" -o $@ ./plugin

$(BUILD)/.version-$(GOARCH): FORCE
	@mkdir -p $(BUILD)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@

FORCE:

# Every test; the end-to-end tests in tests/ load $(PLUGIN) through a host
# program that stands in for Fluent Bit. -tags sigmatest builds
# plugin/testhooks.c, the C the plugin's boundary tests call, which the
# library itself leaves out. With the arm64 cross tools installed, make test
# also runs test-arm64 and test-dist.
# The SigmaHQ tests (regression data, conformance, the corpus) read
# ../shared/sigmahq or SIGMAHQ; without it they skip, and this says so.
SIGMAHQ_DIR := $(or $(SIGMAHQ),$(CURDIR)/../shared/sigmahq)

test: $(PLUGIN)
	@[ -d "$(SIGMAHQ_DIR)" ] || echo "make test: no SigmaHQ data at $(SIGMAHQ_DIR): the SigmaHQ regression and corpus tests are skipped; to run them, SIGMAHQ=/path/to/sigma make test (a checkout of github.com/SigmaHQ/sigma)"
	$(GO) vet -tags sigmatest ./...
	SIGMA_PLUGIN=$(CURDIR)/$(PLUGIN) SIGMA_VERSION=$(VERSION) $(GO) test -tags sigmatest -count=1 ./...
	SIGMA_PLUGIN=$(CURDIR)/$(PLUGIN) SIGMA_VERSION=$(VERSION) $(GO) test -tags sigmatest -count=1 -race ./filter ./rules ./plugin ./tests
ifneq ($(ARM64_TOOLS),)
	$(MAKE) test-arm64
	$(MAKE) test-dist
else
	@echo "make test: arm64 and release tests skipped (install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user; make test-arm64 test-dist)"
endif

# The end-to-end tests (./tests) against the arm64 library, loaded by the
# host built for arm64 and run under qemu-user with the arm64 C library of
# libc6-arm64-cross. The Go-only packages are not rerun: their code is the
# same on both. TestFileAndNetworkAccess is left out: strace would trace
# the emulator, not the library. The build itself checks the ABI there:
# abi.h's _Static_asserts on the struct sizes of both layouts. About 30 s.
test-arm64:
	$(MAKE) plugin GOARCH=arm64 PLUGIN=$(ARM64_PLUGIN)
	SIGMA_PLUGIN=$(CURDIR)/$(ARM64_PLUGIN) SIGMA_VERSION=$(VERSION) SIGMA_HOST_CC=$(ARM64_CC) \
		SIGMA_HOST_RUNNER="$(QEMU_AARCH64) -L $(ARM64_SYSROOT)" \
		$(GO) test -count=1 -skip '^TestFileAndNetworkAccess$$' ./tests

# Builds the release archives twice, from this tree and from a copy, and
# compares them byte for byte (tests/dist_test.go); about 30 s.
test-dist: $(PLUGIN)
	SIGMA_DIST_TEST=1 SIGMA_PLUGIN=$(CURDIR)/$(PLUGIN) $(GO) test -count=1 -run '^TestDist' ./tests

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

# Each fuzz target as package:name; every one runs for FUZZTIME, its name
# anchored (go test refuses a -fuzz pattern that matches two targets).
FUZZ_TARGETS := filter:FuzzProcess filter:FuzzTextRecord filter:FuzzEnrich filter:FuzzShard filter:FuzzBatch \
                rules:FuzzPattern rules:FuzzCondition rules:FuzzCompile rules:FuzzRegexGate \
                rules:FuzzAnchoredLits rules:FuzzGramFilter rules:FuzzPatternIndex correlate:FuzzLoad \
                internal/ahocorasick:FuzzAutomaton internal/ahocorasick:FuzzSampled internal/evtx:FuzzEvtx \
                internal/textevent:FuzzEachEvent filter:FuzzParallel
# Minimising an input that gave new coverage may take the fuzzer a minute
# by default, and FuzzParallel's inputs (a chunk and a block size) give new
# coverage often: a short bound keeps a run fuzzing.
FUZZMINIMIZETIME ?= 2s
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "$(GO) test -run '^$$' -fuzz '^$${t#*:}$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./$${t%%:*}"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./$${t%%:*}; \
	done

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

# Release archives: make dist VERSION=x.y.z writes
# $(DIST)/fluent-bit-sigma-x.y.z-linux-{amd64,arm64}.tar.gz (the library,
# sigma-check, the example configurations, README, licenses) and
# SHA256SUMS. Reproducible: -trimpath, and in the archives a fixed order,
# owner, modes and time (the commit's; SOURCE_DATE_EPOCH overrides), gzip
# without a name or time. tests/dist_test.go builds it twice and compares.
DIST        ?= dist
DIST_ARCHES := amd64 arm64
DIST_NAME   := fluent-bit-sigma-$(VERSION)
DIST_FILES  := README.md CHANGELOG.md LICENSE NOTICE THIRD_PARTY_LICENSES rules/default/LICENSE.DRL.md
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
TAR         := tar --sort=name --mtime=@$(SOURCE_DATE_EPOCH) --owner=0 --group=0 --numeric-owner \
               --mode='a+rX,u+w,go-w' --format=gnu

dist: $(foreach a,$(DIST_ARCHES),$(DIST)/$(DIST_NAME)-linux-$(a).tar.gz)
	cd $(DIST) && sha256sum $(notdir $^) > SHA256SUMS
	@cat $(DIST)/SHA256SUMS

$(DIST)/$(DIST_NAME)-linux-%.tar.gz: FORCE
	rm -rf $(DIST)/.stage-$* && mkdir -p $(DIST)/.stage-$*/$(DIST_NAME)
	$(MAKE) --no-print-directory plugin GOARCH=$* PLUGIN=$(abspath $(DIST)/.stage-$*/$(DIST_NAME)/flb-filter_sigma.so)
	CGO_ENABLED=0 GOOS=linux GOARCH=$* $(GO) build -trimpath -ldflags "-s -w -buildid= $(VERSION_FLAG)" \
		-o $(DIST)/.stage-$*/$(DIST_NAME)/sigma-check ./cmd/sigma-check
	rm -f $(DIST)/.stage-$*/$(DIST_NAME)/flb-filter_sigma.h
	cp $(DIST_FILES) $(DIST)/.stage-$*/$(DIST_NAME)/
	cp -R conf $(DIST)/.stage-$*/$(DIST_NAME)/conf
	$(TAR) -C $(DIST)/.stage-$* -cf - $(DIST_NAME) | gzip -9n > $@.tmp && mv $@.tmp $@
	rm -rf $(DIST)/.stage-$*

# The container image (Dockerfile): the official Fluent Bit image with the
# plugin, the healthcheck tool and the default configuration.
docker:
	docker build --build-arg FLUENT_BIT_VERSION=$(FLUENT_BIT_VERSION) --build-arg VERSION=$(VERSION) \
		-t $(IMAGE):$(FLUENT_BIT_VERSION) -t $(IMAGE):latest .

# The image for linux/amd64 and linux/arm64 at once, with docker buildx: the
# Go stage cross-compiles, only the final stage is per platform. Without
# DOCKER_OUTPUT the images stay in the builder's cache (a check that both
# build); DOCKER_OUTPUT=--push IMAGE=registry/name publishes them, --load
# loads them where the image store holds several platforms (containerd).
PLATFORMS     ?= linux/amd64,linux/arm64
DOCKER_OUTPUT ?=
docker-multiarch:
	docker buildx build --platform $(PLATFORMS) $(DOCKER_OUTPUT) \
		--build-arg FLUENT_BIT_VERSION=$(FLUENT_BIT_VERSION) --build-arg VERSION=$(VERSION) \
		-t $(IMAGE):$(FLUENT_BIT_VERSION) -t $(IMAGE):latest .

clean:
	rm -rf $(BUILD) dist
