# SPDX-License-Identifier: MIT
# cdb_gpu, the PoG floor (gpu/): the engine, the worker pool, the PoG
# service and the compiled-in GPU reference table; the optional CUDA
# backend is cmake/cuda.cmake's.

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
computedb_floor(gpu gpu ${POG_TABLE_C})
target_link_libraries(cdb_gpu PUBLIC cdb_schema ${CMAKE_DL_LIBS})

include(${CMAKE_CURRENT_LIST_DIR}/cuda.cmake)
