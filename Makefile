# Gantry's verbs. `make help` lists them. Every target installs what is missing first, so a fresh
# Debian 12 machine needs nothing but `make run` and `make test`.

SHELL := /bin/bash
BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
FUZZ_DIR  ?= build-fuzz
JOBS      ?= $(shell nproc)
FUZZ_SECONDS ?= 15
CMAKE_FLAGS ?=

.DEFAULT_GOAL := help

.PHONY: help deps configure build test test-unit test-asan fuzz fuzz-smoke bench run fmt fmt-check check-deps charts-check clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

deps: ## Install the Debian packages the build and tests need (idempotent)
	@scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGANTRY_WERROR=ON $(CMAKE_FLAGS)

configure: deps $(BUILD_DIR)/build.ninja

build: configure ## Build everything; binaries land in build/bin/
	ninja -C $(BUILD_DIR) -j $(JOBS)

test-unit: build ## Run the unit, scenario and integration tests (no sanitizers)
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -LE bench

$(ASAN_DIR)/build.ninja:
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DGANTRY_SANITIZE=ON \
	  -DGANTRY_BUILD_BENCHMARKS=OFF -DGANTRY_WERROR=ON $(CMAKE_FLAGS)

test-asan: deps $(ASAN_DIR)/build.ninja ## Run the tests under AddressSanitizer + UndefinedBehaviorSanitizer
	ninja -C $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) -LE bench

$(FUZZ_DIR)/build.ninja:
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DGANTRY_FUZZ=ON -DGANTRY_SANITIZE=ON -DGANTRY_BUILD_TESTS=OFF -DGANTRY_BUILD_BENCHMARKS=OFF

# Every fuzzer, its writable corpus in $(FUZZ_DIR) and its seeds in the source tree (reproducers
# of bugs it found stay there). Each is bounded: input size, time per input, memory.
FUZZERS := cql_fuzzer simulate_fuzzer label_selector_fuzzer sigv4_fuzzer manifest_fuzzer \
  ecs_request_fuzzer
FUZZ_FLAGS = -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

fuzz-smoke: deps $(FUZZ_DIR)/build.ninja ## Run each fuzzer (query language, simulate input, label selector, SigV4 header, manifests, ECS requests) for FUZZ_SECONDS (default 15)
	ninja -C $(FUZZ_DIR) -j $(JOBS) $(FUZZERS)
	mkdir -p $(FUZZ_DIR)/corpus-cql $(FUZZ_DIR)/corpus-simulate $(FUZZ_DIR)/corpus-label-selector \
	  $(FUZZ_DIR)/corpus-sigv4 $(FUZZ_DIR)/corpus-manifest $(FUZZ_DIR)/corpus-ecs-request
	$(FUZZ_DIR)/fuzz/cql_fuzzer $(FUZZ_FLAGS) -max_len=2100 \
	  $(FUZZ_DIR)/corpus-cql placement/cql/fuzz_corpus
	$(FUZZ_DIR)/fuzz/simulate_fuzzer $(FUZZ_FLAGS) -max_len=8192 \
	  $(FUZZ_DIR)/corpus-simulate cli/simulate/fuzz_corpus
	$(FUZZ_DIR)/fuzz/label_selector_fuzzer $(FUZZ_FLAGS) -max_len=4096 \
	  $(FUZZ_DIR)/corpus-label-selector api/service/fuzz_corpus
	$(FUZZ_DIR)/fuzz/sigv4_fuzzer $(FUZZ_FLAGS) -max_len=4096 \
	  $(FUZZ_DIR)/corpus-sigv4 api/ecs/fuzz_corpus/sigv4
	$(FUZZ_DIR)/fuzz/manifest_fuzzer $(FUZZ_FLAGS) -max_len=32768 \
	  $(FUZZ_DIR)/corpus-manifest api/codec/fuzz_corpus
	$(FUZZ_DIR)/fuzz/ecs_request_fuzzer $(FUZZ_FLAGS) -max_len=16384 \
	  $(FUZZ_DIR)/corpus-ecs-request api/ecs/fuzz_corpus/ecs_request

fuzz: FUZZ_SECONDS=600
fuzz: fuzz-smoke ## Run each fuzzer for 10 minutes

check-deps: ## Check module dependency edges (placement and store depend on nothing of ours)
	@scripts/check-deps.sh

# The sanitizer run goes last so its ctest summary closes the output.
charts-check: deps ## Check the Helm chart, the Grafana dashboard and the alerting rules offline
	/usr/bin/python3 scripts/check-dashboard.py
	/usr/bin/python3 scripts/check-chart.py

test: check-deps charts-check fuzz-smoke test-unit test-asan ## Install, build and run every test (also under ASan/UBSan) and a fuzz smoke run

bench: build ## Run the benchmarks (results go in docs/benchmarks.md)
	scripts/bench.sh $(BUILD_DIR)

run: build ## Start gantryd here (data in ./gantry-data), apply examples/manifests; Ctrl-C stops it
	scripts/run.sh $(BUILD_DIR)/bin

fmt: ## Format all C++ sources with clang-format
	git ls-files '*.h' '*.cc' | xargs clang-format -i

fmt-check: ## Fail when a C++ source is not clang-formatted
	git ls-files '*.h' '*.cc' | xargs clang-format --dry-run --Werror

clean: ## Remove build directories
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR)
