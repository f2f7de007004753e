# Roster's developer commands. The README documents `make run` and `make test`;
# CI (.ci/run) runs `make lint`, `make test`, `make test-integration` and
# `make fuzz-ci`.

GO            ?= go
VERSION       ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
STATICCHECK   ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
TOOLS         := $(CURDIR)/.tools
PG_DSN        ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
MYSQL_DSN     ?= mysql://root@127.0.0.1:3306/test
INTEGRATION_ENV = ROSTER_TEST_POSTGRES='$(PG_DSN)' ROSTER_TEST_MYSQL='$(MYSQL_DSN)' ROSTER_REQUIRE_INTEGRATION=1 ROSTER_AD_TESTS=1

.PHONY: fuzz fuzz-ci run build test deps-integration test-integration test-all bench bench-store lint fmt docker-build tidy-check bench-policy bench-scim bench-scale

## run: start the server on the embedded default (SQLite file roster.db, :8080)
run:
	$(GO) run ./cmd/roster serve

## build: the roster binary in bin/ (the same build line as the Dockerfile)
build:
	CGO_ENABLED=1 $(GO) build -tags netgo,osusergo,sqlite_omit_load_extension -trimpath \
	  -ldflags "-s -w -linkmode external -extldflags -static -X main.version=$(VERSION)" -o bin/roster ./cmd/roster

## test: unit tests and the storage conformance suite on SQLite; no setup needed
test:
	$(GO) test ./...
	cd third_party/asn1-ber && $(GO) test ./...

## test-integration: the conformance suite on PostgreSQL and MariaDB, plus the
## real-directory (slapd, Samba AD) and third-party SAML IdP (samlify) suites,
## installing what they need first
test-integration: deps-integration
	$(INTEGRATION_ENV) $(GO) test -count=1 ./...
	$(INTEGRATION_ENV) $(GO) test -count=1 -race ./db/... ./cmd/...

## deps-integration: what the integration suites need beyond Go: slapd and
## Samba AD (Debian packages), the samlify IdP's npm packages (lockfile), and
## the console's browser suite (Debian's chromium, axe-core from its lockfile)
deps-integration: directory-deps
	sso/testdata/idp/install.sh
	cmd/roster/internal/console/testdata/browser/install.sh

## fuzz: every Go fuzz target for FUZZTIME each (default 5m here; CI runs
## `make fuzz-ci`, 20s each). Seed corpora in testdata/fuzz/ run in `make test`.
FUZZTIME ?= 5m
fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

fuzz-ci:
	FUZZTIME=20s scripts/fuzz.sh

## test-all: everything CI runs
test-all: lint test test-integration

## bench: the store benchmarks (SQLite driver choice, user writes and reads)
bench: bench-store

bench-store:
	$(GO) test -run '^$$' -bench SQLiteDriver -benchmem ./db/gormdb/

## bench-policy: the role policy at 100,000 users in one team, on SQLite and
## PostgreSQL: a policy change, the first page of exceptions, counts, a dry
## run and a full CSV export (rows/s, peak heap, peak RSS)
bench-policy:
	ROSTER_TEST_POSTGRES='$(PG_DSN)' $(GO) test -count=1 -run '^$$' -bench 'BenchmarkPolicy100k' -benchtime 10x -benchmem -timeout 30m ./db/gormdb/

## bench-scim: SCIM load generator against a fresh `roster serve` (SQLite by
## default; BENCH_DB=postgres://... for PostgreSQL; BENCH_N users, default 10000)
bench-scim:
	./cmd/scimbench/run.sh

## bench-scale: the SCIM workloads at BENCH_SCALE users in one team (default
## "10000 100000"; issue 15 asks up to 1000000) on BENCH_DBS (sqlite postgres),
## users seeded by `scimbench seed`; prints the largest ÷ smallest p50 ratios
bench-scale:
	./cmd/scimbench/scale.sh

## lint: gofmt, go vet, staticcheck, go mod tidy check
lint: tidy-check
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@test -x $(TOOLS)/staticcheck || GOBIN=$(TOOLS) $(GO) install $(STATICCHECK)
	$(TOOLS)/staticcheck ./...

tidy-check:
	@cp go.mod /tmp/roster-go.mod.bak && cp go.sum /tmp/roster-go.sum.bak
	@$(GO) mod tidy && if ! git diff --quiet -- go.mod go.sum; then echo "go.mod/go.sum not tidy:"; git --no-pager diff -- go.mod go.sum; cp /tmp/roster-go.mod.bak go.mod; cp /tmp/roster-go.sum.bak go.sum; exit 1; fi

fmt:
	gofmt -w $$(git ls-files '*.go')

## docker-build: there is no Docker engine here; this runs the Dockerfile's build step
docker-build: build

## directory-deps: install slapd and Samba AD (Debian packages; idempotent, quiet)
directory-deps:
	directory/testdata/install.sh

## test-directory: the directory sync suite against real slapd (always) and
## Samba AD (root; binds 389/636/88 on loopback), PostgreSQL and MariaDB
test-directory: directory-deps
	$(INTEGRATION_ENV) $(GO) test -count=1 ./directory/... ./db/gormdb/ ./cmd/roster/

## bench-directory: full sync of BENCH_USERS (default 10000) users from a fresh
## slapd into SQLite and PostgreSQL (users/s, peak RSS), then a 10-change delta;
## BENCH_AD_USERS=N (root) adds the same from a fresh Samba AD DC
BENCH_USERS ?= 10000
BENCH_AD_USERS ?= 0
bench-directory: directory-deps
	ROSTER_TEST_POSTGRES='$(PG_DSN)' ROSTER_BENCH_USERS=$(BENCH_USERS) ROSTER_BENCH_AD_USERS=$(BENCH_AD_USERS) ROSTER_AD_TESTS=1 \
	  $(GO) test -count=1 -timeout 60m -run '^TestDirectoryBench(AD)?$$' -v ./directory/ | grep -v -e '^=== ' -e '^--- SKIP'
	$(GO) test -run '^$$' -bench ApplyDirectoryBatch -benchtime 5x ./db/gormdb/
