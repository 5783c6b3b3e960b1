# ward — top-level build.  CMake does the work underneath.
#   make               release build: build/bin/ward, build/bin/ward-init
#   make check         ASan+UBSan build in build-check/ and every default test
#   make check-e2e     the heavy end-to-end tests (PyTorch example image)
#   make fuzz          libFuzzer targets (clang), each run FUZZ_SECONDS
#   make bench         benchmarks (bench/), printed as ratios
#   make install PREFIX=/usr/local
#   make format        clang-format every C file

PREFIX ?= /usr/local
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 30
CTEST_ARGS ?=

all:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWARD_TESTS=OFF
	cmake --build build -j $(JOBS)

check:
	cmake -S . -B build-check -DCMAKE_BUILD_TYPE=Debug -DWARD_SANITIZE=ON
	cmake --build build-check -j $(JOBS)
	cd build-check && ctest --output-on-failure -j $(JOBS) -LE e2e $(CTEST_ARGS)

check-e2e: all
	cmake -S . -B build-check -DCMAKE_BUILD_TYPE=Debug -DWARD_SANITIZE=ON
	cmake --build build-check -j $(JOBS)
	cd build-check && ctest --output-on-failure -L e2e $(CTEST_ARGS)

fuzz:
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DWARD_FUZZ=ON
	cmake --build build-fuzz -j $(JOBS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzz/run.sh build-fuzz/bin

bench: all
	bash bench/run.sh

install: all
	cmake --install build --prefix $(PREFIX)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-check build-fuzz

.PHONY: all check check-e2e fuzz bench install format clean
