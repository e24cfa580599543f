# syntax=docker/dockerfile:1
# Guichet: a small, static, non-root image.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/guichet ./cmd/guichet

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/guichet /usr/local/bin/guichet
COPY config.example.toml /etc/guichet/config.toml
USER nonroot:nonroot
EXPOSE 8080
ENV GUICHET_LISTEN=0.0.0.0:8080
ENTRYPOINT ["/usr/local/bin/guichet"]
CMD ["serve", "--config", "/etc/guichet/config.toml"]
