# syntax=docker/dockerfile:1
#
# fluent-bit-sigma: the official Fluent Bit image with the sigma filter.
#
#   make docker                          # or: docker build -t fluent-bit-sigma .
#   docker run --rm fluent-bit-sigma     # the bundled samples, to stdout
#
# For real use mount a configuration at /fluent-bit/etc/fluent-bit.yaml
# (conf/aggregator.yaml, conf/kubernetes/) and rules at /etc/sigma/rules.
# Health: GET :2020/api/v1/health (HEALTHCHECK runs /fluent-bit/bin/healthcheck).

# Pinned versions; override with --build-arg. The Go stage is Debian
# bookworm: the library links against glibc 2.36, which the official
# images' distroless bases carry or exceed (Debian 12 for Fluent Bit 3.x and
# 4.x, Debian 13 for 5.x).
ARG FLUENT_BIT_VERSION=5.1.1
ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN make plugin \
 && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o build/healthcheck ./cmd/healthcheck \
 && mkdir -p build/rules

FROM fluent/fluent-bit:${FLUENT_BIT_VERSION}
COPY --from=build /src/build/flb-filter_sigma.so /fluent-bit/lib/flb-filter_sigma.so
COPY --from=build /src/build/healthcheck /fluent-bit/bin/healthcheck
COPY conf/docker/plugins.conf /fluent-bit/etc/plugins.conf
COPY conf/docker/fluent-bit.yaml conf/parsers.conf /fluent-bit/etc/
COPY conf/samples/ /fluent-bit/etc/samples/
# Where rules are expected (the embedded default rule runs without any).
COPY --from=build /src/build/rules/ /etc/sigma/rules/
# distroless' unprivileged user; the filter needs no privilege.
USER 65532:65532
EXPOSE 2020 24224
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/fluent-bit/bin/healthcheck"]
ENTRYPOINT ["/fluent-bit/bin/fluent-bit"]
CMD ["-c", "/fluent-bit/etc/fluent-bit.yaml"]
