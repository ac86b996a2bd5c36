# A thin wrapper: meson + ninja do the building.  See README.md.
PREFIX ?= /usr/local
ARGS ?=
# make fuzz: seconds per fuzz target; make soak: SIGKILL cycles
FUZZ_SECONDS ?= 60
SOAK_CYCLES ?= 100

.PHONY: all build install demo test bench fuzz soak clean

all: build

build:
	@scripts/deps.sh build
	@scripts/tree.sh build --prefix=$(PREFIX)
	ninja -C build

install: build
	meson install -C build --quiet

demo: install
	$(PREFIX)/bin/wismo demo $(ARGS)

test:
	@scripts/test.sh

# every libFuzzer target for FUZZ_SECONDS each (clang tree build-fuzz/, docs/testing.md)
fuzz:
	@scripts/deps.sh test
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

# SOAK_CYCLES SIGKILL cycles under mixed load (docs/testing.md)
soak: build
	@scripts/deps.sh test
	@scripts/soak.sh $(SOAK_CYCLES)

bench: build
	@scripts/deps.sh bench
	bench/run.sh $(ARGS)

clean:
	rm -rf build build-asan build-rel build-clang build-fuzz build*.log
