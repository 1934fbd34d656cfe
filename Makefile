# subctl — see README.md. The two commands: `make demo` and `make test`.
SHELL      := /bin/bash
BUILD_DIR  ?= build
BUILD_TYPE ?= RelWithDebInfo
SANITIZE   ?= 0
JOBS       ?= $(shell nproc)
LOCAL      := $(CURDIR)/.local
SUPPORT    := tests/support

ifeq ($(SANITIZE),1)
BUILD_DIR  := build-sanitize
endif

.PHONY: all deps build db db-stop demo test clean schema-dump bench stress fuzz failover-test

all: build

deps:
	@$(SUPPORT)/deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DSUBCTL_SANITIZE=$(SANITIZE) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# The developer's cluster under .local/ (kept between runs). HA=1: a primary and its
# synchronous hot standby under .local/ha-pg (tests/support/ha.sh; README "Running on
# more than one server"), with the multi-host write URL and the replica URL.
HA ?= 0
db: deps
ifeq ($(HA),1)
	@urls=$$($(SUPPORT)/ha.sh start $(LOCAL)/ha-pg subctl) && \
	  echo "export DATABASE_URL='$$(sed -n 1p <<<"$$urls")'" && echo "export SUBCTL_REPLICA_URL='$$(sed -n 2p <<<"$$urls")'"
else
	@url=$$($(SUPPORT)/cluster.sh start $(LOCAL)/pg subctl) && echo "export DATABASE_URL='$$url'"
endif

db-stop:
	@$(SUPPORT)/cluster.sh stop $(LOCAL)/pg
	@[ ! -d $(LOCAL)/ha-pg ] || $(SUPPORT)/ha.sh stop $(LOCAL)/ha-pg

demo: build
	@$(SUPPORT)/demo.sh

# Every test against a throwaway cluster, removed afterwards (also when tests fail).
test: build
	@$(SUPPORT)/run-tests.sh $(BUILD_DIR)

# Regenerates the committed schema dump after a deliberate schema change.
schema-dump: build
	@$(SUPPORT)/schema-dump.sh

# Proof. bench: figures against baselines (SCALE customers; .local/bench/).
# stress: WORKERS x OPERATIONS random operations on a hot dataset, then the invariants.
# fuzz: libFuzzer targets (clang) for FUZZ_SECONDS each over tests/fuzz/corpus/.
SCALE        ?= 100000
FUZZ_SECONDS ?= 60
bench: build
	@cmake --build $(BUILD_DIR) --target subctl_bench >/dev/null
	@SCALE=$(SCALE) tests/bench/run.sh $(BUILD_DIR)

stress: build
	@tests/stress/run.sh $(BUILD_DIR)

# failover-test: FAILOVER_ROWS (30000) rows through the multi-host URL, the primary killed
# with kill -9 mid-batch, the standby promoted, the batch re-run; twice (FAILOVERS).
failover-test: build
	@tests/ha/failover_test.sh $(BUILD_DIR)

fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

clean:
	rm -rf build build-sanitize build-fuzz
