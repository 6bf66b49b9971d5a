# SPDX-License-Identifier: MIT
# The optional CUDA/cuBLAS PoG backend (gpu/*.cu). COMPUTEDB_CUDA:
#   AUTO  build it when nvcc is found (the default; off in sanitizer builds)
#   ON    build it or fail
#   OFF   never (the CPU backend alone)
# nvcc never sees the sanitizer or C warning flags: both are added for
# COMPILE_LANGUAGE:C only. Binaries link the shared cuBLAS and the static
# CUDA runtime, which loads libcuda lazily, so they start (and fall back to
# the CPU) on hosts without a driver.
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
    file(GLOB POG_CUDA_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/gpu/*.cu)
    target_sources(svc_core PRIVATE ${POG_CUDA_SOURCES})
    target_compile_definitions(svc_core PRIVATE COMPUTEDB_HAVE_CUDA=1)
    # svc_core predates enable_language(CUDA), so set what it would inherit.
    set_target_properties(svc_core PROPERTIES CUDA_STANDARD 17
      CUDA_STANDARD_REQUIRED ON CUDA_RUNTIME_LIBRARY Static
      CUDA_ARCHITECTURES "${CMAKE_CUDA_ARCHITECTURES}")
    # No fast math anywhere: the generator needs IEEE double division.
    target_compile_options(svc_core PRIVATE
      "$<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra;--prec-div=true;--ftz=false>")
    target_link_libraries(svc_core PUBLIC CUDA::cublas)
    set(POG_CUDA_BUILT ON)
    message(STATUS "PoG: CUDA backend on (${CMAKE_CUDA_COMPILER}, archs ${CMAKE_CUDA_ARCHITECTURES})")
  elseif(pog_cuda_mode STREQUAL "ON")
    message(FATAL_ERROR "COMPUTEDB_CUDA=ON but no CUDA compiler was found (set CUDACXX or CMAKE_CUDA_COMPILER)")
  else()
    message(STATUS "PoG: no nvcc, CUDA backend off")
  endif()
endif()
