# syntax=docker/dockerfile:1
#
# fluent-bit-sigma: the official Fluent Bit image with the sigma filter, for
# linux/amd64 and linux/arm64.
#
#   make docker                          # or: docker build -t fluent-bit-sigma .
#   make docker-multiarch                # both platforms, with docker buildx:
#   docker buildx build --platform linux/amd64,linux/arm64 -t fluent-bit-sigma .
#   docker run --rm fluent-bit-sigma     # the bundled samples, to stdout
#
# For real use mount a configuration at /fluent-bit/etc/fluent-bit.yaml
# (conf/aggregator.yaml, conf/kubernetes/) and rules at /etc/sigma/rules.
# Health: GET :2020/api/v1/health (HEALTHCHECK runs /fluent-bit/bin/healthcheck).

# Pinned versions; override with --build-arg. The Go stage is Debian
# bookworm (glibc 2.36); the library needs no glibc newer than 2.28 (see
# the README's Supported systems), and the official images' distroless
# bases carry 2.36 or later (Debian 12 for Fluent Bit 3.x and 4.x, Debian
# 13 for 5.x). VERSION is what the plugin reports (make docker passes git
# describe; the build context has no .git).
ARG FLUENT_BIT_VERSION=5.1.1
ARG GO_VERSION=1.26

# The Go stage runs on the build machine's platform and cross-compiles for
# the target's (TARGETARCH), with Debian's cross compiler when they differ:
# no emulation, so an arm64 image builds at native speed on x86-64.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
ARG TARGETARCH
ARG VERSION=dev
RUN set -e; \
    case "$TARGETARCH" in \
      "$(go env GOHOSTARCH)") cross="" ;; \
      arm64) cross="gcc-aarch64-linux-gnu libc6-dev-arm64-cross" ;; \
      amd64) cross="gcc-x86-64-linux-gnu libc6-dev-amd64-cross" ;; \
      *) echo "fluent-bit-sigma builds for linux/amd64 and linux/arm64, not $TARGETARCH" >&2; exit 1 ;; \
    esac; \
    if [ -n "$cross" ]; then \
      apt-get update -qq && apt-get install -y -qq --no-install-recommends $cross && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN make plugin GOARCH=$TARGETARCH PLUGIN=build/flb-filter_sigma.so VERSION=$VERSION \
 && CGO_ENABLED=0 GOOS=linux GOARCH=$TARGETARCH go build -trimpath -ldflags '-s -w' -o build/healthcheck ./cmd/healthcheck \
 && mkdir -p build/rules

FROM fluent/fluent-bit:${FLUENT_BIT_VERSION}
COPY --from=build /src/build/flb-filter_sigma.so /fluent-bit/lib/flb-filter_sigma.so
COPY --from=build /src/build/healthcheck /fluent-bit/bin/healthcheck
COPY conf/docker/plugins.conf /fluent-bit/etc/plugins.conf
# The official image's parsers.conf (json, docker, cri, syslog...) stays.
COPY conf/docker/fluent-bit.yaml /fluent-bit/etc/
COPY conf/samples/ /fluent-bit/etc/samples/
COPY LICENSE NOTICE THIRD_PARTY_LICENSES rules/default/LICENSE.DRL.md /fluent-bit/share/fluent-bit-sigma/
# Where rules are expected (the embedded default rule runs without any).
COPY --from=build /src/build/rules/ /etc/sigma/rules/
# distroless' unprivileged user; the filter needs no privilege.
USER 65532:65532
EXPOSE 2020 24224
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/fluent-bit/bin/healthcheck"]
ENTRYPOINT ["/fluent-bit/bin/fluent-bit"]
CMD ["-c", "/fluent-bit/etc/fluent-bit.yaml"]
