# pocketlm — one Makefile. `make` builds the native CLI; `make test` runs every test.
CC      ?= gcc
EMCC    ?= emcc
# -Werror keeps warnings from piling up; no -ffast-math: kernels are compared against _ref
CFLAGS  ?= -std=c11 -O2 -Wall -Wextra -Wpedantic -Werror -ffp-contract=off
# sanitizers for the unit tests: bad input must never read out of bounds
SANFLAGS := -ffp-contract=off -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDLIBS  := -lm -lpthread
# Debian's emcc 3.1.6 needs this to find its acorn optimizer (TOOLCHAIN.md)
export NODE_PATH ?= /usr/share/nodejs

LIB_SRC   := $(wildcard src/*.c src/kernels/*.c src/models/*.c)
TOOL_SRC  := $(wildcard tools/*.c tools/train/*.c)
ALL_HDR   := $(wildcard src/*.h src/*/*.h tools/*.h tools/*/*.h)
C_TESTS   := $(patsubst tests/%.c,%,$(wildcard tests/test_*.c))

# C test programs for the wasm parity run: one self-contained .cjs each, exit code = result
EMFLAGS_TEST := -O2 -msimd128 -ffp-contract=off -sENVIRONMENT=node -sSINGLE_FILE=1 -sALLOW_MEMORY_GROWTH=1 -sEXIT_RUNTIME=1

.PHONY: all test test-c test-wasm test-js test-browser test-conformance fixtures clean demo demo-native wasm bench-kernels
all: build/pocketlm

build/pocketlm: $(LIB_SRC) $(TOOL_SRC) $(ALL_HDR)
	@mkdir -p build
	$(CC) $(CFLAGS) -o $@ $(LIB_SRC) $(TOOL_SRC) $(LDLIBS)

# ---- tests ----
# native unit tests under ASan/UBSan (test sources may link the tools' GGUF writer and trainer):
# the library and tools are compiled once into build/san/obj/ and linked into every test
SAN_SRC  := $(LIB_SRC) $(filter-out tools/cli.c,$(TOOL_SRC))
SAN_OBJ  := $(patsubst %.c,build/san/obj/%.o,$(SAN_SRC))
.SECONDARY: $(SAN_OBJ)
build/san/obj/%.o: %.c $(ALL_HDR)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -Wall -Wextra $(SANFLAGS) -c -o $@ $<

build/san/%: tests/%.c $(SAN_OBJ) $(wildcard tests/*.h)
	$(CC) -std=c11 -Wall -Wextra $(SANFLAGS) -o $@ $< $(SAN_OBJ) $(LDLIBS)

test-c: $(addprefix build/san/,$(C_TESTS))
	@set -e; for t in $^; do echo "== $$t"; $$t; done

# kernel parity (SIMD128 vs _ref) under Node over the wasm build
build/wasm/test_kernels.cjs: tests/test_kernels.c $(LIB_SRC) $(wildcard src/*.h src/*/*.h tests/*.h)
	@mkdir -p build/wasm
	$(EMCC) -std=c11 -Wall $(EMFLAGS_TEST) -o $@ $< $(LIB_SRC)

test-wasm: build/wasm/test_kernels.cjs
	node $<

# matvec throughput per weight format, wasm SIMD128 under Node, single thread (docs/FORMAT.md §8)
build/wasm/bench_kernels.cjs: bench/kernels.c $(LIB_SRC) $(wildcard src/*.h src/*/*.h)
	@mkdir -p build/wasm
	$(EMCC) -std=c11 -Wall $(subst -O2,-O3,$(EMFLAGS_TEST)) -o $@ $< $(LIB_SRC)

bench-kernels: build/wasm/bench_kernels.cjs
	node $<

# conformance against llama.cpp (node-llama-cpp): generated models, teacher-forced logits
test-conformance: build/pocketlm
	node tests/conformance/run.mjs
	node tests/conformance/tokenizer.mjs
	node tests/conformance/kvq8.mjs

# JS unit and integration tests over the shipped dist/ build (Node), then the browser tests
# (playwright-core driving Debian's Chromium against pages served from 127.0.0.1)
test-js: build/pocketlm wasm
	node --test tests/js/

test-browser: build/pocketlm wasm
	node --test tests/browser/

test: test-c test-wasm test-js test-browser test-conformance

clean:
	rm -rf build

# demo: the chat page (demo/) served from the repo root on 127.0.0.1:$(PORT) with COOP/COEP; builds
# what is missing first. Node built-ins only, no network. The built-in model is committed
# (models/pocketlm-default.gguf; `make train` reproduces it).
PORT       ?= 8080
demo: build/pocketlm wasm
	node tools/serve.mjs --port $(PORT)

# demo-native: the native engine on the built-in model (and stories260K when available)
demo-native: build/pocketlm
	build/pocketlm info -m models/pocketlm-default.gguf | head -12
	build/pocketlm run -m models/pocketlm-default.gguf -p "In the beginning" -n 48 --temp 0.8 --seed 1
	build/pocketlm run -m models/pocketlm-default.gguf -p "Who made the heaven and the earth?" --chat -n 48 --temp 0.8 --seed 1
	@if [ -f ../shared/data/stories260K.gguf ]; then echo "stories260K, greedy from 'Once upon a time':"; \
	  build/pocketlm run -m ../shared/data/stories260K.gguf -p "Once upon a time" -n 48 --temp 0; fi

# ---- wasm (issue: WebAssembly build) ----
# -msimd128: SIMD128 kernels (lm_kernels_best); no -ffast-math (parity with _ref)
# MODULARIZE+EXPORT_ES6: one ES module factory for page, worker and Node (Node passes wasmBinary)
# FILESYSTEM=0: models are streamed into the heap by JS, never through MEMFS
# MAXIMUM_MEMORY=4GB: wasm32's ceiling; pointers above 2 GB are read as unsigned in JS
EMFLAGS := -O3 -msimd128 -ffp-contract=off --no-entry -sMODULARIZE -sEXPORT_ES6 -sENVIRONMENT=web,worker \
           -sALLOW_MEMORY_GROWTH -sMAXIMUM_MEMORY=4GB -sFILESYSTEM=0 -sEXPORT_NAME=createPocketLM \
           -sEXPORTED_RUNTIME_METHODS=UTF8ToString,HEAPU8,HEAP32,HEAPF32,HEAPF64 -sWASM_BIGINT
# threads variant: -pthread builds the same sources against a SharedArrayBuffer heap; a pool of
# 4 prewarmed workers lets lm_ctx_new start its threads without yielding to the event loop.
# Used only where the page is cross-origin isolated (web/engine.js picks the variant).
EMFLAGS_MT := -pthread -sPTHREAD_POOL_SIZE=4 -Wno-pthreads-mem-growth
# relaxed-SIMD variant (TOOLCHAIN.md recipe): clang-22 compiles with -mrelaxed-simd, and the link
# runs at -O1 with ERROR_ON_WASM_CHANGES_AFTER_LINK so Debian's binaryen 108, which re-encodes
# relaxed opcodes wrongly, never touches the module. Picked at run time where the browser
# validates relaxed SIMD (not Node 20, whose V8 computes it wrongly). Same bits as the other builds.
RELAXED_LLVM := /usr/lib/llvm-22/bin
RELAXED_ENV  := EM_LLVM_ROOT=$(RELAXED_LLVM) EM_LLVM_ADD_VERSION= EM_CLANG_ADD_VERSION=
RELAXED_OBJ  := $(patsubst %.c,build/relaxed/%.o,wasm/exports.c $(LIB_SRC))
# only files with explicit relaxed kernels get -mrelaxed-simd: elsewhere clang may pick relaxed
# forms of ordinary operations, whose results are implementation-defined
RELAXED_SRC  := $(shell grep -l __wasm_relaxed_simd__ $(LIB_SRC))
build/relaxed/%.o: %.c $(wildcard src/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	$(RELAXED_ENV) $(EMCC) -std=c11 -O3 -msimd128 $(if $(filter $<,$(RELAXED_SRC)),-mrelaxed-simd) -ffp-contract=off -c $< -o $@
dist/pocketlm-relaxed.mjs: $(RELAXED_OBJ)
	@mkdir -p dist
	$(RELAXED_ENV) $(EMCC) -O1 --no-entry -sMODULARIZE -sEXPORT_ES6 -sENVIRONMENT=web,worker -sALLOW_MEMORY_GROWTH \
	  -sMAXIMUM_MEMORY=4GB -sFILESYSTEM=0 -sEXPORT_NAME=createPocketLMRelaxed \
	  -sEXPORTED_RUNTIME_METHODS=UTF8ToString,HEAPU8,HEAP32,HEAPF32,HEAPF64 -sWASM_BIGINT \
	  -sERROR_ON_WASM_CHANGES_AFTER_LINK -sGLOBAL_BASE=6291456 -o $@ $(RELAXED_OBJ)
# kernel parity for the relaxed build runs in Chromium (tests/browser/relaxed.test.mjs)
build/relaxed/test_kernels.js: $(patsubst %.c,build/relaxed/%.o,tests/test_kernels.c $(LIB_SRC))
	$(RELAXED_ENV) $(EMCC) -O1 -sENVIRONMENT=web -sSINGLE_FILE=1 -sALLOW_MEMORY_GROWTH -sWASM_BIGINT \
	  -sERROR_ON_WASM_CHANGES_AFTER_LINK -sGLOBAL_BASE=6291456 -o $@ $^

wasm: dist/pocketlm.mjs dist/pocketlm-mt.mjs dist/pocketlm-relaxed.mjs build/relaxed/test_kernels.js
dist/pocketlm.mjs: wasm/exports.c $(LIB_SRC) $(wildcard src/*.h src/*/*.h)
	@mkdir -p dist
	$(EMCC) -std=c11 -Wall -Wextra $(EMFLAGS) -o $@ wasm/exports.c $(LIB_SRC)
dist/pocketlm-mt.mjs: wasm/exports.c $(LIB_SRC) $(wildcard src/*.h src/*/*.h)
	@mkdir -p dist
	$(EMCC) -std=c11 -Wall -Wextra $(EMFLAGS) $(EMFLAGS_MT) -sEXPORT_NAME=createPocketLMThreads -o $@ wasm/exports.c $(LIB_SRC)

# ---- fuzzing: tests/fuzz_gguf.c over gguf_parse, lm_plan_from_header, lm_model_load, decode ----
# make test-c builds it with gcc (replay main): seeds in tests/fixtures/fuzz + a fixed mutation loop.
# make fuzz: libFuzzer (clang only) for FUZZ_TIME seconds; -DLM_FUZZER drops the replay main.
# New inputs go to build/fuzz/corpus; the committed seeds are only read (regenerate: make fuzz-seeds).
# Crashes are written to build/fuzz/ as crash-*; replay one with build/san/fuzz_gguf FILE.
FUZZ_CC   ?= clang
FUZZ_TIME ?= 60
FUZZ_SRC  := $(LIB_SRC) $(filter-out tools/cli.c,$(TOOL_SRC))
.PHONY: fuzz fuzz-seeds
test-c: build/san/fuzz_gguf

build/fuzz/fuzz_gguf: tests/fuzz_gguf.c $(FUZZ_SRC) $(wildcard src/*.h src/*/*.h tools/*.h tests/*.h)
	@mkdir -p build/fuzz/corpus
	$(FUZZ_CC) -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  -fno-omit-frame-pointer -DLM_FUZZER -DLM_NO_CLI_MAIN -o $@ $< $(FUZZ_SRC) $(LDLIBS)

# -max_len: the seeds are up to ~25 KB; -timeout/-rss_limit_mb: a hang or a 2 GB allocation is a finding
fuzz: build/fuzz/fuzz_gguf
	cd build/fuzz && ./fuzz_gguf -max_total_time=$(FUZZ_TIME) -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	  -print_final_stats=1 corpus ../../tests/fixtures/fuzz

fuzz-seeds: build/san/fuzz_gguf
	@mkdir -p tests/fixtures/fuzz
	build/san/fuzz_gguf --write-seeds tests/fixtures/fuzz

# ---- trainer (tools/train/, docs/QAT.md) ----
# The trainer (TOOL_SRC) links into the CLI and into the C tests (tests/test_train.c, tests/test_bpe_train.c).

# ---- speed benchmark (issue 7): pocketlm vs wllama in headless Chromium, native llama.cpp as the
# ceiling; docs/BENCHMARKS.md "Speed". Never part of `make test`. About an hour here; BENCH_ARGS
# passes options, e.g. make bench BENCH_ARGS=--quick (Q4_0, 1 round) or BENCH_ARGS=--doc.
.PHONY: bench
bench: build/pocketlm wasm
	node bench/run.mjs $(BENCH_ARGS)

# ---- the default model: BPE vocabulary + gemma4 training + QAT (tools/train/, docs/QAT.md) ----
# Never part of `make test`. Corpus: the King James Bible of Debian's bible-kjv package
# (apt-get install bible-kjv, which brings bible-kjv-text), one verse a line, chapters separated
# by a blank line; every 20th chapter is held out for validation. `make train` reproduces
# models/pocketlm-default.gguf (F32 pretraining, then Q4_0 quantization-aware fine-tuning);
# `make qat-table` adds the other rows of docs/QAT.md's table. Runs resume from their .part
# checkpoint when interrupted; the same seed gives the same bits for any TRAIN_THREADS.
TRAIN_DIR     ?= build/train
TRAIN_THREADS ?= 2
TRAIN_SEED    ?= 1
TRAIN_STEPS   ?= 600
QAT_STEPS     ?= 100
TRAIN_CTX     := --vocab $(TRAIN_DIR)/vocab.gguf --train $(TRAIN_DIR)/train.txt --val $(TRAIN_DIR)/val.txt \
                 -t $(TRAIN_THREADS) --seed $(TRAIN_SEED) --chat-every 8 --resume
# fine-tuning from the F32 checkpoint: the same number of steps for QAT and for the F32 baseline
TUNE_CTX      := $(TRAIN_CTX) --init $(TRAIN_DIR)/f32.ckpt --steps $(QAT_STEPS) --warmup 10 --lr 5e-4 --lr-min 5e-5
PLM           := build/pocketlm
.PHONY: train qat-table

$(TRAIN_DIR)/train.txt $(TRAIN_DIR)/val.txt &:
	@command -v bible >/dev/null || { echo "make train needs Debian's bible-kjv package (apt-get install bible-kjv)"; exit 1; }
	@mkdir -p $(TRAIN_DIR)
	bible -f Gen1:1-Rev22:21 | awk -v dir=$(TRAIN_DIR) '{ ref = $$1; sub(/:[0-9]+$$/, "", ref); text = $$0; sub(/^[^ ]+ /, "", text); \
	  if (ref != last) { if (n) print "" > f; f = dir "/" (n % 20 == 19 ? "val" : "train") ".txt"; n++; last = ref } \
	  print text > f } END { print "" > f }'

$(TRAIN_DIR)/vocab.gguf: $(TRAIN_DIR)/train.txt | $(PLM)
	$(PLM) bpe-train --text $< -o $@ --vocab-size 4096

$(TRAIN_DIR)/f32.ckpt: $(TRAIN_DIR)/vocab.gguf
	$(PLM) train $(TRAIN_CTX) --out $@.part --steps $(TRAIN_STEPS) --warmup 50 --log $(TRAIN_DIR)/f32.tsv
	mv $@.part $@

$(TRAIN_DIR)/qat-q4_0.ckpt $(TRAIN_DIR)/qat-mobile.ckpt: $(TRAIN_DIR)/qat-%.ckpt: $(TRAIN_DIR)/f32.ckpt
	$(PLM) train $(TUNE_CTX) --qat $* --out $@.part --log $(TRAIN_DIR)/qat-$*.tsv
	mv $@.part $@

$(TRAIN_DIR)/f32-tuned.ckpt: $(TRAIN_DIR)/f32.ckpt
	$(PLM) train $(TUNE_CTX) --out $@.part --log $(TRAIN_DIR)/f32-tuned.tsv
	mv $@.part $@

train: $(TRAIN_DIR)/qat-q4_0.ckpt
	@mkdir -p models
	$(PLM) train-export --ckpt $< --vocab $(TRAIN_DIR)/vocab.gguf --type q4_0 --name pocketlm-default --ctx 1024 \
	  -o models/pocketlm-default.gguf
	$(PLM) ppl -m models/pocketlm-default.gguf --text $(TRAIN_DIR)/val.txt -t $(TRAIN_THREADS)
	$(PLM) run -m models/pocketlm-default.gguf -p "And God said" -n 40

# docs/QAT.md: validation perplexity through the engine of F32 (pretraining + the same fine-tuning
# steps without quantization), PTQ of that model to Q4_0 and to GGUF-M (E2B recipe, static scales
# calibrated on training text), and QAT to each. Prints the table's rows.
QAT_VARIANTS := f32 ptq-q4_0 qat-q4_0 ptq-mobile qat-mobile
qat-table: $(TRAIN_DIR)/f32-tuned.ckpt $(TRAIN_DIR)/qat-q4_0.ckpt $(TRAIN_DIR)/qat-mobile.ckpt
	head -c 40000 $(TRAIN_DIR)/train.txt > $(TRAIN_DIR)/calib.txt
	$(PLM) train-export --ckpt $(TRAIN_DIR)/f32-tuned.ckpt --vocab $(TRAIN_DIR)/vocab.gguf --type f32 -o $(TRAIN_DIR)/f32.gguf
	$(PLM) train-export --ckpt $(TRAIN_DIR)/f32-tuned.ckpt --vocab $(TRAIN_DIR)/vocab.gguf --type q4_0 -o $(TRAIN_DIR)/ptq-q4_0.gguf
	$(PLM) quantize --mobile $(TRAIN_DIR)/f32.gguf $(TRAIN_DIR)/ptq-mobile.gguf --calib $(TRAIN_DIR)/calib.txt
	$(PLM) train-export --ckpt $(TRAIN_DIR)/qat-q4_0.ckpt --vocab $(TRAIN_DIR)/vocab.gguf --type q4_0 -o $(TRAIN_DIR)/qat-q4_0.gguf
	$(PLM) train-export --ckpt $(TRAIN_DIR)/qat-mobile.ckpt --vocab $(TRAIN_DIR)/vocab.gguf --type mobile -o $(TRAIN_DIR)/qat-mobile.gguf
	@for v in $(QAT_VARIANTS); do $(PLM) ppl -m $(TRAIN_DIR)/$$v.gguf --text $(TRAIN_DIR)/val.txt -t $(TRAIN_THREADS) \
	  --seqs 128 || exit 1; ls -l $(TRAIN_DIR)/$$v.gguf | awk '{ print "  " $$5 " bytes" }'; done
