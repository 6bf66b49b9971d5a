# SPDX-License-Identifier: MIT
# The PoG engine (gpu/): the compiled-in GPU reference table, the optional
# CUDA backend (cmake/cuda.cmake) and the pog_bench program. Included from
# CMakeLists.txt once svc_core exists; gpu/*.c are in svc_core's glob.

# gpu/gpu_table.json is compiled in as pog_gpu_table_json[]; a file given at
# run time (pog_table_load) replaces it.
set(POG_TABLE_C ${CMAKE_BINARY_DIR}/generated/pog_gpu_table.c)
add_custom_command(OUTPUT ${POG_TABLE_C}
  COMMAND ${CMAKE_COMMAND} -DIN=${CMAKE_SOURCE_DIR}/gpu/gpu_table.json
          -DOUT=${POG_TABLE_C} -DNAME=pog_gpu_table_json
          -P ${CMAKE_SOURCE_DIR}/cmake/embed.cmake
  DEPENDS ${CMAKE_SOURCE_DIR}/gpu/gpu_table.json
          ${CMAKE_SOURCE_DIR}/cmake/embed.cmake
  COMMENT "Embedding gpu/gpu_table.json")
target_sources(svc_core PRIVATE ${POG_TABLE_C})

include(${CMAKE_CURRENT_LIST_DIR}/cuda.cmake)

# Benchmarks of the CPU round and the verifier; built, never run by ctest.
add_executable(pog_bench ${CMAKE_SOURCE_DIR}/bench/pog_bench.c)
target_compile_options(pog_bench PRIVATE "$<$<COMPILE_LANGUAGE:C>:${SVC_C_WARNINGS}>")
target_link_libraries(pog_bench PRIVATE svc_core)
