# syntax=docker/dockerfile:1
# Build: a fully static binary. cgo is on for the faster SQLite driver
# (mattn/go-sqlite3; see README "Benchmarks"), linked statically; netgo and
# osusergo keep glibc's resolver and user lookup out of it.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
COPY third_party ./third_party
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=1 go build -tags netgo,osusergo,sqlite_omit_load_extension -trimpath \
      -ldflags "-s -w -linkmode external -extldflags -static -X main.version=${VERSION}" \
      -o /out/roster ./cmd/roster \
 && mkdir -p /out/data

# Run: distroless static, non-root (uid 65532), no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/roster /usr/local/bin/roster
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
ENV ROSTER_DATABASE=/data/roster.db \
    ROSTER_LISTEN=:8080
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/roster", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/roster"]
CMD ["serve"]
