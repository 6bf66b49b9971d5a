# SPDX-License-Identifier: MIT
# Fuzz harnesses (tests/fuzz/): one binary per decoder, each replaying its
# checked-in corpus as the ctest fuzz.<name> (label fuzz).
#   COMPUTEDB_FUZZ=OFF (default): the harnesses link tests/fuzz/driver.c, a plain
#     main() that runs each corpus file once (any compiler).
#   COMPUTEDB_FUZZ=ON: libFuzzer binaries (clang): every floor is built with coverage
#     (-fsanitize=fuzzer-no-link) and `make fuzz` mutates the corpora.
# Both kinds take the same command line: `fuzz_x -runs=0 corpus/x`.
option(COMPUTEDB_FUZZ "Build the fuzz harnesses as libFuzzer binaries (clang)" OFF)

set(SVC_FUZZ_DIR ${CMAKE_SOURCE_DIR}/tests/fuzz)
# The body decoders: fuzz_body.c once per route (its targets[] table).
set(SVC_FUZZ_BODIES miners_put specs_put candidates_post challenges_post
    alloc_put blacklist_post blacklist_delete pog_post stats_put wandb_put
    principals_put backup_post)
set(SVC_FUZZ_OTHERS auth ss58 sr25519 hotkey router query)

if(COMPUTEDB_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "COMPUTEDB_FUZZ needs clang (CC=clang), not ${CMAKE_C_COMPILER_ID}")
  endif()
  set(svc_fuzz_cov "$<$<COMPILE_LANGUAGE:C>:-fsanitize=fuzzer-no-link>")
  foreach(floor core schema sqlite storage gpu server handlers cli app)
    target_compile_options(cdb_${floor} PRIVATE ${svc_fuzz_cov})
  endforeach()
  if(TARGET cdb_pg)
    target_compile_options(cdb_pg PRIVATE ${svc_fuzz_cov})
  endif()
endif()

add_library(svc_fuzz_common STATIC ${SVC_FUZZ_DIR}/fuzz_common.c)
target_include_directories(svc_fuzz_common PUBLIC ${SVC_FUZZ_DIR})
target_link_libraries(svc_fuzz_common PUBLIC cdb_app)
target_compile_options(svc_fuzz_common PRIVATE
  "$<$<COMPILE_LANGUAGE:C>:${SVC_C_WARNINGS}>" ${svc_fuzz_cov})

add_custom_target(fuzz_all)

# svc_fuzz_harness(name source [definition]): fuzz_<name> and fuzz.<name>.
function(svc_fuzz_harness name src)
  set(target fuzz_${name})
  if(COMPUTEDB_FUZZ)
    add_executable(${target} ${src})
    target_compile_options(${target} PRIVATE ${svc_fuzz_cov})
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)
  else()
    add_executable(${target} ${src} ${SVC_FUZZ_DIR}/driver.c)
  endif()
  target_compile_options(${target} PRIVATE "$<$<COMPILE_LANGUAGE:C>:${SVC_C_WARNINGS}>")
  if(ARGC GREATER 2)
    target_compile_definitions(${target} PRIVATE ${ARGV2})
  endif()
  target_link_libraries(${target} PRIVATE svc_fuzz_common)
  add_dependencies(fuzz_all ${target})
  add_test(NAME fuzz.${name}
    COMMAND ${target} -runs=0 -artifact_prefix=${CMAKE_BINARY_DIR}/fuzz-replay-${name}-
            ${SVC_FUZZ_DIR}/corpus/${name})
  set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT 120)
endfunction()

foreach(body ${SVC_FUZZ_BODIES})
  svc_fuzz_harness(${body} ${SVC_FUZZ_DIR}/fuzz_body.c FUZZ_BODY="${body}")
endforeach()
foreach(other ${SVC_FUZZ_OTHERS})
  svc_fuzz_harness(${other} ${SVC_FUZZ_DIR}/fuzz_${other}.c)
endforeach()
