# ESE repair toolkit - build, test, demo, fuzz, bench.
#   make          library + eseutil + isinteg (in build/)
#   make check    installs missing packages (as root), builds, runs unit and
#                 CLI tests, then runs the whole suite again under ASan+UBSan
#   make demo     builds and runs the main job (/d) on a copy of sample-dbs/priv1.edb
#   make samples  rebuilds the sample mail stores; make bigsample SIZE=8G makes a big one
#   make fuzz     builds the libFuzzer targets (clang) and runs each briefly
#   make bench    benchmarks (not tests); results go to BENCHMARKS.md by hand

CC      ?= cc
BUILD   ?= build
OPT     ?= -O2
SANFLAGS ?=
CFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g $(OPT) $(SANFLAGS) \
           -Iinclude -Icommon $(EXTRA_CFLAGS)
LDFLAGS += $(SANFLAGS)
LIBS    := -lcrypto -luuid -lpthread -lm

LIB_SRC := $(sort $(wildcard common/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB     := $(BUILD)/libese.a
TOOLS   := $(BUILD)/eseutil $(BUILD)/isinteg
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(BUILD)/tests/unit_tests
HELPER_SRC := $(sort $(wildcard tests/tools/*.c))
HELPERS := $(HELPER_SRC:tests/tools/%.c=$(BUILD)/tests/%)

.SECONDARY:
.PHONY: all check test test-unit test-cli demo fuzz bench deps clean samples bigsample

all: $(TOOLS) $(HELPERS)

$(BUILD)/obj/%.o: %.c $(wildcard include/*.h include/*.def common/*.h tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/eseutil: $(BUILD)/obj/eseutil/eseutil.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/isinteg: $(BUILD)/obj/isinteg/isinteg.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/tools/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(UNIT_BIN): $(UNIT_SRC:%.c=$(BUILD)/obj/%.o) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $$(pkg-config --libs check) $(LIBS)

deps:
	@sh tests/ensure-deps.sh

test-unit: $(UNIT_BIN) $(HELPERS) $(TOOLS)
	BUILD=$(BUILD) CK_DEFAULT_TIMEOUT=300 $(UNIT_BIN)

test-cli: all
	BUILD=$(BUILD) sh tests/cli/run.sh

test: test-unit test-cli

check: deps
	$(MAKE) test
	$(MAKE) BUILD=build-san OPT=-O1 \
	  SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  ESE_SANITIZED=1 test
	@echo "make check: all suites passed (plain and ASan+UBSan)"

demo: deps all
	sh sample-dbs/demo.sh $(BUILD)

FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60
build-fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(wildcard include/*.h common/*.h)
	@mkdir -p build-fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -Icommon \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -o $@ $< $(LIB_SRC) $(LIBS)

# Each target runs FUZZ_SECONDS on its corpus (tests/fuzz/corpus/<target>)
# plus seeds made from ../shared's samples; new inputs are added to the
# corpus.  A crash stops make with the crashing input in build-fuzz/.
fuzz: deps $(FUZZ_TARGETS)
	@sh tests/fuzz/make-seeds.sh build-fuzz/seeds
	@for t in $(FUZZ_TARGETS); do n=$$(basename $$t); mkdir -p tests/fuzz/corpus/$$n build-fuzz/seeds/$$n; \
	  echo "fuzzing $$n for $(FUZZ_SECONDS)s"; \
	  $$t -max_total_time=$(FUZZ_SECONDS) -max_len=180000 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=build-fuzz/ tests/fuzz/corpus/$$n build-fuzz/seeds/$$n || exit 1; done

# the committed sample stores (deterministic: seed 1), and a big one
samples: all
	sh sample-dbs/make-samples.sh $(BUILD)

SIZE ?= 2G
bigsample: all
	$(BUILD)/tests/ese-mailgen $(BUILD)/bigsample.edb --size $(SIZE) --seed 1 --replace

bench: deps all
	sh bench/run.sh $(BUILD)

clean:
	rm -rf build build-san build-fuzz
