# SPDX-License-Identifier: MIT
# The optional CUDA/cuBLAS PoG backend: gpu/gpu_cuda.cu built as the
# loadable module computedb-cuda.so, beside the computedb binary, which
# gpu/gpu_module.c dlopens the first time the CUDA backend is asked for.
# The binary itself never links CUDA: one binary runs on CPU-only and GPU
# hosts, and a process that never asks for CUDA never maps cuBLAS.
# COMPUTEDB_CUDA:
#   AUTO  build it when nvcc is found (the default; off in sanitizer builds)
#   ON    build it or fail
#   OFF   never (the CPU backend alone)
# nvcc never sees the sanitizer or C warning flags: both are added for
# COMPILE_LANGUAGE:C only. The module links the shared cuBLAS and the
# static CUDA runtime, which loads libcuda lazily.
set(COMPUTEDB_CUDA AUTO CACHE STRING "Build the CUDA PoG backend: AUTO, ON or OFF")
set_property(CACHE COMPUTEDB_CUDA PROPERTY STRINGS AUTO ON OFF)
string(TOUPPER "${COMPUTEDB_CUDA}" pog_cuda_mode)
if(NOT pog_cuda_mode MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "COMPUTEDB_CUDA must be AUTO, ON or OFF, not ${COMPUTEDB_CUDA}")
endif()
if(pog_cuda_mode STREQUAL "AUTO" AND COMPUTEDB_SANITIZE)
  message(STATUS "PoG: sanitizer build, CUDA backend off (COMPUTEDB_CUDA=ON forces it)")
  set(pog_cuda_mode OFF)
endif()
if(pog_cuda_mode STREQUAL "ON" AND COMPUTEDB_SANITIZE)
  message(WARNING "PoG: CUDA with -fsanitize=${COMPUTEDB_SANITIZE}; run with ASAN_OPTIONS=protect_shadow_gap=0")
endif()

set(POG_CUDA_BUILT OFF)
if(pog_cuda_mode STREQUAL "OFF")
  message(STATUS "PoG: CUDA backend off (COMPUTEDB_CUDA=${COMPUTEDB_CUDA})")
else()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      # Ampere, Ada, Hopper SASS plus Hopper PTX for newer parts (CUDA 13
      # supports sm_75 and up).
      set(CMAKE_CUDA_ARCHITECTURES 80-real 86-real 89-real 90-real 90-virtual)
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    # The module carries its own copies of the helpers it uses
    # (core/clock.c, the pure PoG arithmetic of gpu/pog.c): it needs
    # nothing from the binary that loads it.
    add_library(computedb_cuda MODULE ${CMAKE_SOURCE_DIR}/gpu/gpu_cuda.cu
      ${CMAKE_SOURCE_DIR}/core/clock.c ${CMAKE_SOURCE_DIR}/gpu/pog.c)
    target_include_directories(computedb_cuda PRIVATE ${CMAKE_SOURCE_DIR})
    set_target_properties(computedb_cuda PROPERTIES PREFIX "" OUTPUT_NAME computedb-cuda
      CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON CUDA_RUNTIME_LIBRARY Static
      CUDA_ARCHITECTURES "${CMAKE_CUDA_ARCHITECTURES}"
      CUDA_VISIBILITY_PRESET hidden C_VISIBILITY_PRESET hidden)
    target_compile_definitions(computedb_cuda PRIVATE _POSIX_C_SOURCE=200809L)
    # No fast math anywhere: the generator needs IEEE double division.
    target_compile_options(computedb_cuda PRIVATE
      "$<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra;--prec-div=true;--ftz=false>")
    # Every symbol resolved at build time: a module that would need one
    # from the binary fails here, not when a GPU host loads it.
    target_link_options(computedb_cuda PRIVATE -Wl,--no-undefined)
    target_link_libraries(computedb_cuda PRIVATE CUDA::cublas)
    set(POG_CUDA_BUILT ON)
    message(STATUS "PoG: CUDA backend on (${CMAKE_CUDA_COMPILER}, archs ${CMAKE_CUDA_ARCHITECTURES})")
  elseif(pog_cuda_mode STREQUAL "ON")
    message(FATAL_ERROR "COMPUTEDB_CUDA=ON but no CUDA compiler was found (set CUDACXX or CMAKE_CUDA_COMPILER)")
  else()
    message(STATUS "PoG: no nvcc, CUDA backend off")
  endif()
endif()
