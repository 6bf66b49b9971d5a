# SPDX-License-Identifier: MIT
# The PoG engine (gpu/): the compiled-in GPU reference table and the
# optional CUDA backend (cmake/cuda.cmake). Included from
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

