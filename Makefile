# Thin wrapper over CMake for the README's commands. `make demo` and `make test`
# install the Debian packages they need first (make deps; skipped when present).
BUILD ?= build
BUILD_ASAN ?= build-asan
JOBS ?= $(shell nproc)
DEB_PKGS := cmake make gcc pkg-config libnng-dev libprotobuf-c-dev protobuf-c-compiler \
	liblmdb-dev libuv1-dev libcriterion-dev libcurl4-openssl-dev libjansson-dev \
	libssl-dev jq curl clang-format python3 tmux chromium clang libclang-rt-14-dev

.PHONY: deps build build-asan test test-asan fuzz fuzz-short chaos bench bench-quick format format-check demo clean

deps:
	@scripts/deps.sh $(DEB_PKGS)

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DQUNFA_SANITIZE=ON
	cmake --build $(BUILD_ASAN) -j $(JOBS)

# The whole suite, then again under AddressSanitizer and UndefinedBehaviorSanitizer
# (LeakSanitizer on), then every fuzz target for 10 s.
test: build format-check
	ctest --test-dir $(BUILD) --output-on-failure -j 2
	$(MAKE) test-asan
	$(MAKE) fuzz-short

test-asan: build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(BUILD_ASAN) --output-on-failure -j 2 -LE timing

fuzz: deps
	tests/fuzz/run.sh 60

fuzz-short: deps
	tests/fuzz/run.sh 10

# Kill -9 rounds, cut links between namespaces, hostile peers (docs/chaos.md).
chaos: build
	QF_BIN=$(BUILD)/services QF_SRC=$(CURDIR) tests/chaos/run.sh --long

# Fan-out, firing precision and the stack's ceilings, beside BullMQ on Redis
# (docs/benchmarks.md). bench-quick: smaller sizes, about 8 minutes.
bench: deps
	bench/run.sh

bench-quick: deps
	BENCH_QUICK=1 bench/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

demo: build
	scripts/demo.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) build-fuzz
