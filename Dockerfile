# syntax=docker/dockerfile:1
# Guichet: a small, static, non-root image holding the binary alone. It carries no
# configuration: give every key in GUICHET_* variables (or mount a file and pass --config);
# `guichet serve` refuses to start, naming the key, until the required ones are there.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The release and commit `guichet version` and the guichet_build_info metric name:
#   docker build --build-arg VERSION=v1.2.3 --build-arg COMMIT=$(git rev-parse HEAD) .
# (.git stays out of the build context, so the Go toolchain cannot find the commit itself.)
ARG VERSION=""
ARG COMMIT=""
RUN CGO_ENABLED=0 go build -trimpath \
    -ldflags="-s -w -X guichet.dev/guichet/internal/buildinfo.version=${VERSION} -X guichet.dev/guichet/internal/buildinfo.commit=${COMMIT}" \
    -o /out/guichet ./cmd/guichet

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/guichet /usr/local/bin/guichet
USER nonroot:nonroot
# 8080: what Mattermost calls. Health and metrics stay on the container's loopback
# (127.0.0.1:9090) unless GUICHET_OPS_LISTEN says otherwise.
EXPOSE 8080
ENV GUICHET_LISTEN=0.0.0.0:8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/guichet", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/guichet"]
CMD ["serve"]
