# SPDX-License-Identifier: MIT
# Thin wrapper over CMake. `make run` serves ./data/database.db;
# `make test` installs what is missing, builds with ASan+UBSan and runs
# every test.
.POSIX:
.PHONY: all deps build build-asan run test bench fuzz clean format \
	print-build-packages

JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
BUILD    ?= build/release
ASAN     ?= build/asan
LISTEN   ?= 127.0.0.1:8080
DB       ?= data/database.db
GENERATOR = $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

# Debian packages: what the build needs (docker/Dockerfile installs exactly
# these; a test checks), and what the tests add.
BUILD_PACKAGES = build-essential cmake ninja-build pkg-config git \
	libmicrohttpd-dev libjansson-dev libsodium-dev libsqlite3-dev \
	libcurl4-openssl-dev zlib1g-dev
TEST_PACKAGES = curl sqlite3 python3 python3-cryptography python3-jsonschema \
	prometheus
DEB_PACKAGES = $(BUILD_PACKAGES) $(TEST_PACKAGES)

all: build

deps:
	@sh scripts/deps.sh $(DEB_PACKAGES)

build: deps
	cmake -S . -B $(BUILD) $(GENERATOR) -DCMAKE_BUILD_TYPE=Release -DSVC_WERROR=ON
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	cmake -S . -B $(ASAN) $(GENERATOR) -DCMAKE_BUILD_TYPE=Debug \
		-DSVC_SANITIZE=address,undefined -DSVC_WERROR=ON
	cmake --build $(ASAN) -j $(JOBS)

run: build
	./$(BUILD)/computedb serve --listen $(LISTEN) --db $(DB)

test: build-asan
	@sh scripts/tools.sh $(ASAN)/tools
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

# The benchmark runs a CPU-only release build, as the CPU Docker image is:
# a CUDA build maps about 140 MB of cuBLAS at start-up (bench/README.md).
bench: deps
	cmake -S . -B build/bench $(GENERATOR) -DCMAKE_BUILD_TYPE=Release \
		-DSVC_WERROR=ON -DCOMPUTEDB_CUDA=OFF
	cmake --build build/bench -j $(JOBS) --target computedb bench_gen bench_load
	python3 bench/run.py build/bench

fuzz:
	@echo "make fuzz: the fuzz harnesses are not written yet (issue 7)"; exit 2

format:
	clang-format -i server/*.c server/*.h handlers/*.c handlers/*.h \
		schema/*.c schema/*.h tests/*.c tests/*.h tests/*/*.c

print-build-packages:
	@echo $(BUILD_PACKAGES)

clean:
	rm -rf build
