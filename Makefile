# SPDX-License-Identifier: MIT
# Thin wrapper over CMake. `make run` installs what building and serving
# need (BUILD_PACKAGES) and serves ./data/database.db; `make test` also
# installs the test packages (TEST_PACKAGES), builds with ASan+UBSan and
# runs every test.
.POSIX:
.PHONY: all deps test-deps build build-asan run install test bench fuzz fuzz-build \
	fuzz-replay crash-test test-tsan clean format print-build-packages

JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
BUILD    ?= build/release
ASAN     ?= build/asan
LISTEN   ?= 127.0.0.1:8080
DB       ?= data/database.db
PREFIX   ?= /usr/local
DESTDIR  ?=
GENERATOR = $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
FUZZ     ?= build/fuzz
TSAN     ?= build/tsan
FUZZ_SECONDS ?= 60
CRASH_CYCLES ?= 20
SAN_ENV   = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Whether clang can link a libFuzzer binary (clang + libclang-rt-dev).
HAVE_LIBFUZZER = sh tests/fuzz/have_libfuzzer.sh
# Whether the PostgreSQL server programs are installed (scripts/pg.sh).
HAVE_PG = { command -v initdb || ls /usr/lib/postgresql/*/bin/initdb; } >/dev/null 2>&1
# $(call pg_up,DIR): shell text that starts the private PostgreSQL server
# in DIR, exports its URL as COMPUTEDB_TEST_PG for ctest and stops the
# server when the shell exits, whatever the tests' status (which it keeps).
# If the server cannot start, the tests that need it skip.
pg_up = if $(HAVE_PG); then \
		trap 'cd "$(CURDIR)" && sh scripts/pg.sh stop $(1)' EXIT; \
		trap 'exit 130' INT TERM HUP; \
		if pg_url=$$(sh scripts/pg.sh start $(1)); then \
			export COMPUTEDB_TEST_PG="$$pg_url"; \
			echo "test: COMPUTEDB_TEST_PG=$$pg_url"; \
		else \
			echo "test: warning: the PostgreSQL test server did not start; the tests that need it skip" >&2; \
		fi; \
	else \
		echo "test: no PostgreSQL server programs; the tests that need one skip"; \
	fi

# Debian packages: what the build needs (`make deps`; docker/Dockerfile
# installs exactly these; a test checks), and what the tests add (`make
# test-deps`: make test, build-asan, test-tsan, crash-test, fuzz, bench).
BUILD_PACKAGES = build-essential cmake ninja-build pkg-config git \
	libmicrohttpd-dev libjansson-dev libsodium-dev libsqlite3-dev \
	libcurl4-openssl-dev zlib1g-dev libpq-dev libgnutls28-dev libjs-chart.js
# postgresql: the server binaries (initdb, pg_ctl) that scripts/pg.sh runs
# a private test server with. systemd: systemd-analyze, which checks the
# installed unit (e2e.install); installing it starts nothing, in a container
# too. chromium: the browser the dashboard's test (e2e.ui) drives.
TEST_PACKAGES = curl sqlite3 python3 python3-cryptography python3-jsonschema \
	prometheus postgresql systemd chromium
# What `make fuzz` adds: clang and its libFuzzer/sanitizer runtimes.
FUZZ_PACKAGES = clang libclang-rt-dev

all: build

# What building and serving need: `make build` and `make run` install no
# test package.
deps:
	@sh scripts/deps.sh $(BUILD_PACKAGES)

# Everything the tests use as well, in one apt-get run.
test-deps:
	@sh scripts/deps.sh $(BUILD_PACKAGES) $(TEST_PACKAGES)

# The release binary (and, where nvcc is, its CUDA module) alone: serving
# needs neither the tests nor the benchmarks.
build: deps
	cmake -S . -B $(BUILD) $(GENERATOR) -DCMAKE_BUILD_TYPE=Release -DCOMPUTEDB_WERROR=ON
	cmake --build $(BUILD) -j $(JOBS) --target computedb

build-asan: test-deps
	cmake -S . -B $(ASAN) $(GENERATOR) -DCMAKE_BUILD_TYPE=Debug \
		-DCOMPUTEDB_SANITIZE=address,undefined -DCOMPUTEDB_WERROR=ON
	cmake --build $(ASAN) -j $(JOBS)

run: build
	./$(BUILD)/computedb serve --listen $(LISTEN) --db $(DB)

# make install [PREFIX=/usr/local] [DESTDIR=]: what `make build` built (the
# binary, its CUDA module, the systemd unit, the pm2 file, the documents;
# README, Deployment) under $(DESTDIR)$(PREFIX). It builds first only when
# there is no binary, so that `sudo make install` after `make build` leaves
# the build folder to its owner (CMake writes its install_manifest.txt).
install:
	@[ -x $(BUILD)/computedb ] || $(MAKE) --no-print-directory build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

# The fuzz corpora are replayed by libFuzzer binaries built with clang when
# it can link them (fuzz-replay), else by the gcc build's plain driver. A
# private PostgreSQL server (scripts/pg.sh) runs for the length of ctest.
test: build-asan
	@sh scripts/tools.sh $(ASAN)/tools
	@$(call pg_up,$(ASAN)/pg); \
	if $(HAVE_LIBFUZZER); then \
		rc=0; \
		(cd $(ASAN) && $(SAN_ENV) ctest --output-on-failure -j $(JOBS) -LE fuzz) \
			|| rc=$$?; \
		$(MAKE) --no-print-directory fuzz-replay || rc=1; exit $$rc; \
	else \
		echo "test: no clang with libFuzzer; corpora replayed by the gcc driver"; \
		cd $(ASAN) && $(SAN_ENV) ctest --output-on-failure -j $(JOBS); \
	fi

# libFuzzer harnesses (tests/fuzz/) with ASan+UBSan, built by clang.
fuzz-build:
	cmake -E env CC=clang cmake -S . -B $(FUZZ) $(GENERATOR) \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOMPUTEDB_FUZZ=ON \
		-DCOMPUTEDB_SANITIZE=address,undefined
	cmake --build $(FUZZ) -j $(JOBS) --target fuzz_all

fuzz-replay: fuzz-build
	cd $(FUZZ) && $(SAN_ENV) ctest --output-on-failure -j $(JOBS) -L fuzz

# make fuzz FUZZ_SECONDS=N: each harness mutates its corpus for N seconds.
fuzz: test-deps
	@sh scripts/deps.sh $(FUZZ_PACKAGES)
	@$(MAKE) --no-print-directory fuzz-build
	bash tests/fuzz/run.sh $(FUZZ) $(FUZZ_SECONDS)

# SIGKILL the server under write load CRASH_CYCLES times (make test: 3).
crash-test: build-asan
	$(SAN_ENV) CRASH_CYCLES=$(CRASH_CYCLES) \
		COMPUTEDB_BIN=$(CURDIR)/$(ASAN)/computedb \
		COMPUTEDB_SOURCE_DIR=$(CURDIR) bash tests/e2e/crash.sh

# The concurrency tests under ThreadSanitizer.
test-tsan: test-deps
	cmake -S . -B $(TSAN) $(GENERATOR) -DCMAKE_BUILD_TYPE=Debug \
		-DCOMPUTEDB_SANITIZE=thread -DCOMPUTEDB_WERROR=ON
	cmake --build $(TSAN) -j $(JOBS)
	@$(call pg_up,$(TSAN)/pg); \
	cd $(TSAN) && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
		ctest --output-on-failure -j $(JOBS) -L 'http|compat|e2e'

# The benchmark runs a CPU-only release build, as the CPU Docker image is
# (the CUDA module, loaded only for the CUDA backend, changes nothing the
# loads measure). test-deps: bench/run.py needs python3, and psql for its
# PostgreSQL runs.
bench: test-deps
	cmake -S . -B build/bench $(GENERATOR) -DCMAKE_BUILD_TYPE=Release \
		-DCOMPUTEDB_WERROR=ON -DCOMPUTEDB_CUDA=OFF
	cmake --build build/bench -j $(JOBS) --target computedb bench_gen bench_load sig_bench
	python3 bench/run.py build/bench
	build/bench/sig_bench

format:
	clang-format -i $$(git ls-files 'core/*.[ch]' 'schema/*.[ch]' 'gpu/*.[ch]' \
		'server/*.[ch]' 'handlers/*.[ch]' 'cli/*.[ch]' 'app/*.[ch]' \
		'bench/*.c' 'tests/*.[ch]')

print-build-packages:
	@echo $(BUILD_PACKAGES)

clean:
	rm -rf build
