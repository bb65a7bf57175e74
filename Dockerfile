# syntax=docker/dockerfile:1
#
# Builds flb-filter_sigma.so in a Go stage and installs it into the official
# Fluent Bit image, with a default pipeline over the bundled samples:
#
#   docker build -t fluent-bit-sigma .
#   docker run --rm fluent-bit-sigma
#
# Mount your own /fluent-bit/etc/fluent-bit.conf (keeping Plugins_File
# plugins.conf) and rules directory to use it for real.

ARG FLUENT_BIT_VERSION=5.1.1

# Debian bookworm: the library links against glibc 2.36, which the official
# images' distroless bases carry or exceed (Debian 12 for 3.x and 4.x,
# Debian 13 for 5.x).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN make plugin

FROM fluent/fluent-bit:${FLUENT_BIT_VERSION}
COPY --from=build /src/build/flb-filter_sigma.so /fluent-bit/lib/flb-filter_sigma.so
COPY conf/docker/plugins.conf /fluent-bit/etc/plugins.conf
COPY conf/fluent-bit.conf conf/parsers.conf /fluent-bit/etc/
COPY conf/samples/ /fluent-bit/etc/samples/
ENV SIGMA_SAMPLES=/fluent-bit/etc/samples/sysmon-image-load.jsonl
ENTRYPOINT ["/fluent-bit/bin/fluent-bit"]
CMD ["-c", "/fluent-bit/etc/fluent-bit.conf"]
