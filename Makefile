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

.PHONY: all deps build db db-stop demo test clean schema-dump bench stress fuzz

all: build

deps:
	@$(SUPPORT)/deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DSUBCTL_SANITIZE=$(SANITIZE) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# The developer's cluster under .local/ (kept between runs).
db: deps
	@url=$$($(SUPPORT)/cluster.sh start $(LOCAL)/pg subctl) && echo "export DATABASE_URL='$$url'"

db-stop:
	@$(SUPPORT)/cluster.sh stop $(LOCAL)/pg

demo: build
	@$(SUPPORT)/demo.sh

# Every test against a throwaway cluster, removed afterwards (also when tests fail).
test: build
	@$(SUPPORT)/run-tests.sh $(BUILD_DIR)

# Regenerates the committed schema dump after a deliberate schema change.
schema-dump: build
	@$(SUPPORT)/schema-dump.sh

# Proof (issue 6). bench: figures against baselines (SCALE customers; .local/bench/).
# stress: WORKERS x OPERATIONS random operations on a hot dataset, then the invariants.
# fuzz: libFuzzer targets (clang) for FUZZ_SECONDS each over tests/fuzz/corpus/.
SCALE        ?= 100000
FUZZ_SECONDS ?= 60
bench: build
	@cmake --build $(BUILD_DIR) --target subctl_bench >/dev/null
	@SCALE=$(SCALE) tests/bench/run.sh $(BUILD_DIR)

stress: build
	@tests/stress/run.sh $(BUILD_DIR)

fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

clean:
	rm -rf build build-sanitize build-fuzz
