# libdimple-runtime: the model runtime, a library of its own.
lib_LTLIBRARIES += lib/runtime/libdimple-runtime.la

dimpleinclude_HEADERS += include/dimple/status.h include/dimple/runtime.h \
	include/dimple/tokenizer.h include/dimple/model.h
nodist_dimpleinclude_HEADERS += include/dimple/version.h

lib_runtime_libdimple_runtime_la_SOURCES = \
	lib/runtime/status.c \
	lib/runtime/error.c \
	lib/runtime/log.c \
	lib/runtime/info.c
lib_runtime_libdimple_runtime_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/runtime \
	$(CJSON_CFLAGS) $(PCRE2_CFLAGS) $(UTF8PROC_CFLAGS) $(OPENBLAS_CFLAGS)
lib_runtime_libdimple_runtime_la_LIBADD = $(CJSON_LIBS) $(PCRE2_LIBS) $(UTF8PROC_LIBS) \
	$(OPENBLAS_LIBS) $(PTHREAD_LIBS) -lm
lib_runtime_libdimple_runtime_la_LDFLAGS = $(AM_LDFLAGS) -version-info $(DM_RUNTIME_LT_VERSION) \
	-no-undefined

# CUDA backend: .cu sources compiled by nvcc into libtool objects (cudalt.sh); without
# nvcc, cuda_none.c / probe_none.c answer "built without CUDA". The headers are used
# by both builds (kmath.h also by the CPU tests of the kernels' logic).
DM_CU_SOURCES = lib/runtime/cuda/probe.cu lib/runtime/cuda/cu_kernels.cu lib/runtime/cuda/cu_model.cu
DM_CU_HDRS = lib/runtime/cuda/cuda_backend.h lib/runtime/cuda/cu_kernels.h lib/runtime/cuda/kmath.h
lib_runtime_libdimple_runtime_la_SOURCES += $(DM_CU_HDRS)
EXTRA_DIST += $(DM_CU_SOURCES) lib/runtime/cuda/probe_none.c lib/runtime/cuda/cuda_none.c
if HAVE_CUDA
DM_CU_OBJECTS = $(DM_CU_SOURCES:.cu=.lo)
lib_runtime_libdimple_runtime_la_LIBADD += $(DM_CU_OBJECTS) $(CUDA_LIBS)
EXTRA_lib_runtime_libdimple_runtime_la_DEPENDENCIES = $(DM_CU_OBJECTS)
lib_runtime_libdimple_runtime_la_CPPFLAGS += $(CUDA_CFLAGS) -DDM_CUDA_DIR='"$(CUDA_DIR)"'
CLEANFILES += $(DM_CU_OBJECTS) $(DM_CU_SOURCES:.cu=.o)
# Target GPUs: Hopper (H100/H200) as SASS plus compute_90 PTX for newer ones; override
# with e.g. `make DM_NVCC_ARCH="-arch=sm_80"`. Warning and sanitizer flags of the C
# build are deliberately not passed to nvcc.
DM_NVCC_ARCH = -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90
NVCC_FLAGS = -O2 -std=c++17 $(DM_NVCC_ARCH) $(AM_CPPFLAGS) $(CUDA_CFLAGS) $(NVCCFLAGS)
.cu.lo:
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(SHELL) $(top_srcdir)/build-aux/cudalt.sh $@ $(NVCC) $(NVCC_FLAGS) $<
$(DM_CU_OBJECTS): $(DM_CU_HDRS) $(top_srcdir)/include/dimple/model.h \
	$(top_srcdir)/include/dimple/status.h $(top_srcdir)/lib/runtime/model/model_impl.h \
	$(top_srcdir)/lib/runtime/model/internal.h
clean-local: clean-cuda-objects
clean-cuda-objects:
	-rm -rf lib/runtime/cuda/.libs
else
lib_runtime_libdimple_runtime_la_SOURCES += lib/runtime/cuda/probe_none.c lib/runtime/cuda/cuda_none.c
endif

pkgconfig_DATA += lib/runtime/dimple-runtime.pc

# Parts of the runtime, each with its own fragment.
include lib/runtime/tokenizer.mk
include lib/runtime/model.mk
