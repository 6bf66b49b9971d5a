# SPDX-License-Identifier: MIT
# The benchmark programs (bench/): `make bench` runs bench/run.py with
# bench_gen and bench_load, then sig_bench (ed25519 against sr25519
# verification); pog_bench times the CPU round and the verifier.
# Built with everything else, never run by ctest. COMPUTEDB_BENCH=OFF leaves
# them out, so a build from the Docker images' COPY set needs no bench/.
option(COMPUTEDB_BENCH "Build the benchmark programs in bench/" ON)
if(NOT COMPUTEDB_BENCH)
  message(STATUS "Benchmarks off (COMPUTEDB_BENCH=OFF)")
  return()
endif()
if(NOT EXISTS ${CMAKE_SOURCE_DIR}/bench/load.c)
  message(FATAL_ERROR "COMPUTEDB_BENCH is ON but bench/ is missing; configure with -DCOMPUTEDB_BENCH=OFF")
endif()
foreach(prog gen load)
  add_executable(bench_${prog} ${CMAKE_SOURCE_DIR}/bench/${prog}.c)
  target_compile_options(bench_${prog} PRIVATE "$<$<COMPILE_LANGUAGE:C>:${SVC_C_WARNINGS}>")
  target_link_libraries(bench_${prog} PRIVATE cdb_app PkgConfig::CURL)
endforeach()
foreach(prog pog_bench sig_bench)
  add_executable(${prog} ${CMAKE_SOURCE_DIR}/bench/${prog}.c)
  target_compile_options(${prog} PRIVATE "$<$<COMPILE_LANGUAGE:C>:${SVC_C_WARNINGS}>")
  target_link_libraries(${prog} PRIVATE cdb_app)
endforeach()
