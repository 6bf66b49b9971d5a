# SPDX-License-Identifier: MIT
# The benchmark programs (`make bench` runs bench/run.py with them); built
# with everything else, never run by ctest.
foreach(prog gen load)
  add_executable(bench_${prog} ${CMAKE_SOURCE_DIR}/bench/${prog}.c)
  target_compile_options(bench_${prog} PRIVATE "$<$<COMPILE_LANGUAGE:C>:${SVC_C_WARNINGS}>")
  target_link_libraries(bench_${prog} PRIVATE svc_core PkgConfig::CURL)
endforeach()
