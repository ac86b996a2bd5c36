# A thin wrapper: meson + ninja do the building.  See README.md.
PREFIX ?= /usr/local
ARGS ?=

.PHONY: all build install demo test bench clean

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

bench: build
	@scripts/deps.sh bench
	bench/run.sh $(ARGS)

clean:
	rm -rf build build-asan build-rel build-clang build.log build-asan.log build-test.log build-asan-test.log \
		build-rel.log build-clang.log
