# spate: the two commands of README.md, and a few more.
#   make demo    install what is missing, build (release), run the demo
#   make test    install what is missing, build with ASan+UBSan, run ctest
#   make build   release build only (build/release/spate)
#   make soak    the kill -9 crash tests with many more kills
#   make bench   benchmarks against DuckDB (bench/README.md)
#   make format  clang-format the sources
JOBS ?= $(shell nproc)
REL := build/release
TST := build/test

.PHONY: all deps build demo test soak bench bench-quick format clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(REL) -DCMAKE_BUILD_TYPE=Release -DSP_WERROR=ON >/dev/null
	@cmake --build $(REL) -j $(JOBS)

demo: build
	$(REL)/spate demo --duration $${DURATION:-15}

test: deps
	@cmake -S . -B $(TST) -DCMAKE_BUILD_TYPE=Debug -DSP_SANITIZE=ON >/dev/null
	@cmake --build $(TST) -j $(JOBS)
	cd $(TST) && ctest --no-tests=error --output-on-failure -j $(JOBS)

soak: build
	SPATE=$(REL)/spate KILLS=$${KILLS:-150} bash tests/crash/kill9.sh

bench: build
	@scripts/install-deps.sh bench
	bash bench/run.sh

bench-quick: build
	@scripts/install-deps.sh bench
	QUICK=1 bash bench/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build
