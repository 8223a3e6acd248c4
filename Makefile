# floodwatch build.  GNU make + pkg-config; see README.md.
#
#   make            build/floodwatch
#   make check      unit tests (cmocka), golden CLI tests, pandas cross-check
#   make asan       the same suite under AddressSanitizer + UBSan (build-asan/)
#   make tsan       the parallel decoding under ThreadSanitizer (build-tsan/)
#   make fuzz       libFuzzer targets, short run (clang)
#   make bench      benchmarks (bench/run.sh)
#
# Sources are picked up by wildcard per module directory: every .c under src/
# except the CLI entry point goes into build/libfloodwatch.a, which the binary,
# the unit tests and the fuzz targets link against.

BUILD    ?= build
CC       ?= cc
PKGS     := sqlite3 libxxhash jansson inih
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
OPT      ?= -O2 -g
WERROR   := $(if $(CI),-Werror,)
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wno-unused-parameter \
            $(WERROR) $(OPT) -Isrc $(PKG_CFLAGS) -MMD -MP
LDLIBS   += $(PKG_LIBS) -lm -lpthread

LIB_SRC  := $(sort $(wildcard src/core/*.c src/input/*.c src/clean/*.c src/stream/*.c \
              src/detect/*.c src/store/*.c src/report/*.c src/gen/*.c src/cli/cli_*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/src/cli/main.o
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)

all: $(BUILD)/floodwatch

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libfloodwatch.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/floodwatch: $(MAIN_OBJ) $(BUILD)/libfloodwatch.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libfloodwatch.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libfloodwatch.a $(LDLIBS) $$(pkg-config --libs cmocka)

unit: $(TEST_BIN)
	@fail=0; for t in $(TEST_BIN); do \
	  echo "== $$t"; timeout 300 $$t || fail=1; \
	done; exit $$fail

cli: $(BUILD)/floodwatch
	FW=$(abspath $(BUILD)/floodwatch) tests/cli/run.sh
	FW=$(abspath $(BUILD)/floodwatch) tests/cli/query.sh

xcheck: $(BUILD)/floodwatch
	FW=$(abspath $(BUILD)/floodwatch) /usr/bin/python3 tests/xcheck/pandas_summary.py

report-test: $(BUILD)/floodwatch
	FW=$(abspath $(BUILD)/floodwatch) tests/report/run.sh

check: unit cli xcheck report-test

asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" unit cli

tsan:
	$(MAKE) BUILD=build-tsan CC=clang OPT="-O1 -g -fsanitize=thread" LDFLAGS="-fsanitize=thread" \
	  build-tsan/floodwatch
	FW=$(abspath build-tsan/floodwatch) tests/cli/tsan.sh

FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c
	@mkdir -p build-fuzz
	$(MAKE) BUILD=build-fuzz/obj CC=clang OPT="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" build-fuzz/obj/libfloodwatch.a
	clang -std=c11 -D_GNU_SOURCE -O1 -g -Isrc $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  -o $@ $< build-fuzz/obj/libfloodwatch.a $(LDLIBS)

FUZZ_SECONDS ?= 30
fuzz: $(FUZZ_TARGETS)
	@for f in $(FUZZ_TARGETS); do \
	  n=$$(basename $$f); mkdir -p build-fuzz/corpus-$$n; \
	  echo "== $$n ($(FUZZ_SECONDS)s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 -close_fd_mask=1 \
	    build-fuzz/corpus-$$n tests/fuzz/seeds-$$n > build-fuzz/$$n.log 2>&1; rc=$$?; \
	  grep -vE '^#[0-9]+' build-fuzz/$$n.log | tail -40; \
	  test $$rc -eq 0 || exit 1; \
	done

$(BUILD)/detect_bench: bench/detect_bench.c $(BUILD)/libfloodwatch.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libfloodwatch.a $(LDLIBS)

$(BUILD)/decode_bench: bench/decode_bench.c $(BUILD)/libfloodwatch.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libfloodwatch.a $(LDLIBS)

bench: $(BUILD)/floodwatch $(BUILD)/detect_bench $(BUILD)/decode_bench
	bench/run.sh
	bench/stream.sh
	bench/windows.sh
	bench/skew.sh
	bench/threads.sh

clean:
	rm -rf build build-asan build-tsan build-fuzz

.PHONY: all unit cli xcheck report-test check asan tsan fuzz bench clean
.SECONDARY:

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d)
