# Makefile: builds build/speedlab, runs the tests, runs every experiment (run-all).
# Quiet by default; `make V=1` prints the full command lines.

V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif

CC      ?= gcc
CLANG   ?= clang
PROFILE ?= quick
BUILD   ?= build
# Optional parts, detected once: CUDA (nvcc) and MPI (Open MPI's compiler wrapper).
NVCC    ?= $(shell command -v nvcc 2>/dev/null || { test -x /usr/local/cuda/bin/nvcc && echo /usr/local/cuda/bin/nvcc; })
MPICC   ?= $(shell command -v mpicc 2>/dev/null)

PKGS      := inih hwloc jansson
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
GIT_DIRTY  := $(shell test -n "$$(git status --porcelain --untracked-files=no 2>/dev/null)" && echo -dirty)

OPTFLAGS ?= -O2 -g
BASE_FLAGS_OMP ?= -fopenmp
# -Wno-format-truncation: paths and labels are built with bounded snprintf on purpose.
# Quote-only include paths (-iquote): headers are named by folder ("core/util.h", "launch/mpi.h"), so
# launch/mpi.h cannot hide Open MPI's <mpi.h>.
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-format-truncation $(BASE_FLAGS_OMP) -pthread \
	-iquote harness/src -iquote harness $(PKG_CFLAGS)
CFLAGS  ?= $(OPTFLAGS)
ALL_CFLAGS = $(BASE_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) \
	-DSL_GIT_COMMIT='"$(GIT_COMMIT)$(GIT_DIRTY)"' \
	-DSL_CFLAGS='"$(strip $(CFLAGS) $(EXTRA_CFLAGS))"'
LDLIBS  := $(PKG_LIBS) -fopenmp -pthread -ldl -lm

# harness/launch/mpi_rank.c, the rank side of the mpi start method, links libmpi: it is built only
# with MPI, and only into speedlab-mpi and the test programs (MPI_RANK below)
MPI_RANK_SRC := harness/launch/mpi_rank.c
SRCS := $(wildcard harness/src/*/*.c) $(wildcard harness/workloads/*.c) \
	$(filter-out $(MPI_RANK_SRC),$(wildcard harness/launch/*.c))
CUSRCS :=

ifneq ($(NVCC),)
CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(NVCC))
CUSRCS := $(wildcard harness/workloads/*.cu)
# sm_90 (Hopper) first; PTX for compute_90 so newer GPUs JIT it.
NVCCFLAGS ?= -O2 -std=c++17 -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
	-gencode arch=compute_90,code=compute_90 -Xcompiler -Wall,-Wextra,-Werror,-fPIC -Iharness/src -Iharness
ALL_CFLAGS += -DSL_HAVE_CUDA -I$(CUDA_HOME)/include
# The CUDA code is a library of its own, loaded with dlopen on first GPU use (cuda_loader.c): cudart
# and cuBLAS in speedlab itself would slow every spawn and fork. It calls back two CPU reference
# functions of speedlab, exported for it.
CUDA_LIB := $(BUILD)/libspeedlab-cuda.so
LDFLAGS_CUDA := -Wl,--export-dynamic-symbol=sl_gpu_gemm_reference_check \
	-Wl,--export-dynamic-symbol=sl_gpu_gemm_tolerance
endif

ifneq ($(MPICC),)
MPI_CFLAGS := $(shell $(MPICC) --showme:compile 2>/dev/null)
MPI_LIBS   := $(shell $(MPICC) --showme:link 2>/dev/null)
ALL_CFLAGS += -DSL_HAVE_MPI $(MPI_CFLAGS)
# speedlab launches ranks but links no MPI library (libmpi would cost every spawned worker ~0.8 ms of
# loading): it has the launch side of the mpi start method and mpi_norank.o in place of the rank
# side. The ranks run speedlab-mpi, which has mpi_rank.o instead, as do the test programs.
MPI_BIN := $(BUILD)/speedlab-mpi
MPI_RANK := $(MPI_RANK_SRC:%.c=$(BUILD)/obj/%.o)
endif

OBJS   := $(SRCS:%.c=$(BUILD)/obj/%.o)
CUOBJS := $(CUSRCS:%.cu=$(BUILD)/obj/%.cu.o)
LIBOBJS := $(filter-out $(BUILD)/obj/harness/src/cli/main.o,$(OBJS))
# the test programs and speedlab-mpi have the rank side of the mpi start method instead of its stand-in
FULLOBJS := $(if $(MPI_RANK),$(patsubst $(BUILD)/obj/harness/launch/mpi_norank.o,$(MPI_RANK),$(LIBOBJS)),$(LIBOBJS))
DEPS   := $(OBJS:.o=.d) $(CUOBJS:.o=.d) $(MPI_RANK:.o=.d)

TEST_SRCS := $(wildcard harness/tests/test_*.c)
TEST_BINS := $(TEST_SRCS:harness/tests/%.c=$(BUILD)/tests/%)

.PHONY: all tests asan lib test test-unit fuzz-build run-all deps clean help
.DEFAULT_GOAL := all

# `make` builds what a user runs; the test programs are built by `make tests` (and `make test`).
all: $(BUILD)/speedlab $(CUDA_LIB) $(MPI_BIN) $(BUILD)/dgemm-loop

tests: all $(TEST_BINS) $(BUILD)/reaper

# speedlab and its test programs under AddressSanitizer + UndefinedBehaviorSanitizer, in build/asan
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
asan:
	$(Q)$(MAKE) --no-print-directory BUILD=build/asan NVCC= OPTFLAGS="$(ASAN_FLAGS)" \
		LDFLAGS="-fsanitize=address,undefined" tests

help:
	@echo "make             build build/speedlab (V=1 for full commands)"
	@echo "make tests       also build the test programs (build/tests/, build/reaper)"
	@echo "make test        install missing packages, run every test (unit, integration, ASan+UBSan, fuzz)"
	@echo "make run-all     install missing packages, run every experiment, write the report (PROFILE=quick|full)"
	@echo "make deps        install missing Debian packages (apt-get as root, else print the command)"
	@echo "make clean       remove build output"

lib: $(LIBOBJS)

$(BUILD)/speedlab: $(OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) -o $@ $(OBJS) $(LDFLAGS) $(LDFLAGS_CUDA) $(LDLIBS)

$(MPI_BIN): $(BUILD)/obj/harness/src/cli/main.o $(FULLOBJS)
	@echo "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(LDFLAGS) $(LDFLAGS_CUDA) $(LDLIBS) $(MPI_LIBS)

$(CUDA_LIB): $(CUOBJS)
	@echo "  LD      $@"
	$(Q)$(NVCC) -shared -o $@ $(CUOBJS) -lcublas -lcudart

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/obj/%.cu.o: %.cu
	@mkdir -p $(dir $@)
	@echo "  NVCC    $<"
	$(Q)$(NVCC) $(NVCCFLAGS) -MMD -MP -MF $(@:.o=.d) -c -o $@ $<

$(BUILD)/tests/%: harness/tests/%.c $(FULLOBJS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(FULLOBJS) $(LDFLAGS) $(LDFLAGS_CUDA) $(LDLIBS) $(MPI_LIBS) -lcmocka

$(BUILD)/reaper: harness/tests/reaper.c
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $<

# the plain cblas_dgemm loop gemm is held against (harness/bench/harness-overhead): OpenBLAS and nothing else
$(BUILD)/dgemm-loop: harness/bench/dgemm_loop.c $(BUILD)/obj/harness/src/sys/blas.o
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/obj/harness/src/sys/blas.o -ldl

-include $(DEPS)

# Fuzz targets: clang + libFuzzer, every library object built with the fuzzer's coverage and ASan.
FUZZ_SRCS := $(wildcard harness/tests/fuzz_*.c)
FUZZ_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined
fuzz-build:
	$(Q)$(MAKE) --no-print-directory BUILD=build/fuzz CC=$(CLANG) NVCC= MPICC= OPTFLAGS="$(FUZZ_FLAGS)" \
		BASE_FLAGS_OMP="-fopenmp=libgomp -Wno-unknown-warning-option" lib
	$(Q)for f in $(FUZZ_SRCS); do \
		b=build/fuzz/$$(basename $$f .c); echo "  FUZZ    $$b"; \
		$(CLANG) $(subst -fopenmp,-fopenmp=libgomp -Wno-unknown-warning-option,$(BASE_CFLAGS)) -fsanitize=fuzzer,address,undefined -g -o $$b $$f \
			$(LIBOBJS:$(BUILD)/%=build/fuzz/%) $(PKG_LIBS) -lgomp -pthread -ldl -lm || exit 1; \
	done

deps:
	$(Q)sh harness/deps.sh

# The whole suite: unit and integration tests on the normal build, the unit tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer, and bounded fuzzing of the parsers.
test:
	$(Q)sh harness/deps.sh test
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)$(MAKE) --no-print-directory asan
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)bash harness/tests/run-tests

test-unit: deps
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)bash harness/tests/run-tests --only unit

# deps may install what this Makefile detected at parse time (pkg-config, mpicc): build in a sub-make
run-all: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash harness/run-all $(PROFILE)

clean:
	$(Q)rm -rf build
