# SPDX-License-Identifier: MIT
# Tests: every tests/<label>/test_<name>.c is one ctest executable named
# <label>.<name>, linked with every floor (cdb_app) and, for labels other than unit, the
# in-process server harness. Exit code 77 marks a skip.
add_library(svc_harness STATIC tests/harness.c)
target_include_directories(svc_harness PUBLIC ${CMAKE_SOURCE_DIR}/tests)
target_link_libraries(svc_harness PUBLIC cdb_app PkgConfig::CURL)
target_compile_options(svc_harness PRIVATE "$<$<COMPILE_LANGUAGE:C>:${SVC_C_WARNINGS}>")

function(svc_test label src)
  get_filename_component(stem ${src} NAME_WE)
  string(REGEX REPLACE "^test_" "" name ${stem})
  set(target test_${label}_${name})
  add_executable(${target} ${src})
  target_compile_options(${target} PRIVATE "$<$<COMPILE_LANGUAGE:C>:${SVC_C_WARNINGS}>")
  target_link_libraries(${target} PRIVATE svc_harness)
  add_test(NAME ${label}.${name} COMMAND ${target})
  set_tests_properties(${label}.${name} PROPERTIES LABELS ${label}
    TIMEOUT 300 SKIP_RETURN_CODE 77
    ENVIRONMENT "COMPUTEDB_SOURCE_DIR=${CMAKE_SOURCE_DIR};COMPUTEDB_BIN=$<TARGET_FILE:computedb>")
  # Where the CUDA module is built, the tests load that one (gpu/ tests
  # run the CUDA backend through it).
  if(TARGET computedb_cuda)
    add_dependencies(${target} computedb_cuda)
    set_property(TEST ${label}.${name} APPEND PROPERTY ENVIRONMENT
      "COMPUTEDB_CUDA_MODULE=$<TARGET_FILE:computedb_cuda>")
  endif()
endfunction()

# The same HTTP tests against the PostgreSQL driver (http_pg.<name>): each
# server gets a fresh database on the test server that `make test` starts
# (COMPUTEDB_TEST_PG); skipped without one. On PostgreSQL, backup checks
# the 409 that replaces file backups.
# Of compat/, the client snippets and another writer holding the write
# lock run on both; the rest is about the SQLite file the Python validator
# shares (its PostgreSQL counterpart is e2e.pg_migrate).
set(SVC_PG_TESTS http:access http:alloc_api http:allocations http:attacks http:attacks_admin http:auth http:backup
  http:blacklist http:pog_jobs_list http:floats http:head
  http:challenges http:errors http:etag http:miners http:pog http:pog_jobs
  http:pog_prune http:pog_restart http:smoke http:specs http:stats http:wandb compat:clients
  compat:busy compat:busy_reads)
foreach(t ${SVC_PG_TESTS})
  string(REPLACE ":" ";" parts ${t})
  list(GET parts 0 label)
  list(GET parts 1 name)
  add_test(NAME ${label}_pg.${name} COMMAND test_${label}_${name})
  set_tests_properties(${label}_pg.${name} PROPERTIES LABELS ${label}_pg
    TIMEOUT 300 SKIP_RETURN_CODE 77
    ENVIRONMENT "COMPUTEDB_TEST_DRIVER=postgres;COMPUTEDB_SOURCE_DIR=${CMAKE_SOURCE_DIR};COMPUTEDB_BIN=$<TARGET_FILE:computedb>")
  # The same CUDA module as the SQLite run, so both see one backend.
  if(TARGET computedb_cuda)
    set_property(TEST ${label}_pg.${name} APPEND PROPERTY ENVIRONMENT
      "COMPUTEDB_CUDA_MODULE=$<TARGET_FILE:computedb_cuda>")
  endif()
endforeach()

set(SVC_RESPONSE_LOG ${CMAKE_BINARY_DIR}/responses)
foreach(label unit http compat gpu)
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/${label}/test_*.c)
  foreach(src ${srcs})
    svc_test(${label} ${src})
  endforeach()
endforeach()

# The contract: every response the HTTP tests saw must match openapi.json.
# contract.reset empties the log, the http tests fill it, then
# contract.responses validates it (ctest fixtures order the three).
add_test(NAME contract.reset COMMAND ${CMAKE_COMMAND} -E rm -rf ${SVC_RESPONSE_LOG})
add_test(NAME contract.mkdir COMMAND ${CMAKE_COMMAND} -E make_directory ${SVC_RESPONSE_LOG})
set_tests_properties(contract.reset PROPERTIES LABELS contract FIXTURES_SETUP response_dir)
set_tests_properties(contract.mkdir PROPERTIES LABELS contract DEPENDS contract.reset
  FIXTURES_SETUP response_dir)
get_property(all_tests DIRECTORY PROPERTY TESTS)
foreach(t ${all_tests})
  if(t MATCHES "^http(_pg)?\\.")
    set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT "COMPUTEDB_RESPONSE_LOG=${SVC_RESPONSE_LOG}")
    set_tests_properties(${t} PROPERTIES FIXTURES_REQUIRED response_dir FIXTURES_SETUP responses)
  endif()
endforeach()
add_test(NAME contract.responses COMMAND python3 ${CMAKE_SOURCE_DIR}/tests/contract/validate_responses.py)
set_tests_properties(contract.responses PROPERTIES LABELS contract TIMEOUT 300
  SKIP_RETURN_CODE 77 FIXTURES_REQUIRED responses
  ENVIRONMENT "COMPUTEDB_SOURCE_DIR=${CMAKE_SOURCE_DIR};COMPUTEDB_RESPONSE_LOG=${SVC_RESPONSE_LOG}")
add_test(NAME contract.lint COMMAND bash ${CMAKE_SOURCE_DIR}/tests/contract/lint.sh)
set_tests_properties(contract.lint PROPERTIES LABELS contract TIMEOUT 120 SKIP_RETURN_CODE 77
  ENVIRONMENT "COMPUTEDB_SOURCE_DIR=${CMAKE_SOURCE_DIR};COMPUTEDB_TOOLS_DIR=${CMAKE_BINARY_DIR}/tools")
# TypeScript types generated from openapi.json accept a real response of
# every GET route (tsc --strict); skipped without the npm tools.
add_test(NAME contract.types COMMAND bash ${CMAKE_SOURCE_DIR}/tests/contract/types.sh)
set_tests_properties(contract.types PROPERTIES LABELS contract TIMEOUT 300 SKIP_RETURN_CODE 77
  ENVIRONMENT "COMPUTEDB_SOURCE_DIR=${CMAKE_SOURCE_DIR};COMPUTEDB_BIN=$<TARGET_FILE:computedb>;COMPUTEDB_TOOLS_DIR=${CMAKE_BINARY_DIR}/tools")

# Shell-level checks: lint/ reads the sources, e2e/ drives the real binary.
foreach(label lint e2e)
  file(GLOB sh_tests CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/${label}/*.sh)
  list(FILTER sh_tests EXCLUDE REGEX "/lib\\.sh$")
  foreach(sh ${sh_tests})
    get_filename_component(name ${sh} NAME_WE)
    add_test(NAME ${label}.${name} COMMAND bash ${sh})
    set_tests_properties(${label}.${name} PROPERTIES LABELS ${label} TIMEOUT 300
      SKIP_RETURN_CODE 77
      ENVIRONMENT "COMPUTEDB_SOURCE_DIR=${CMAKE_SOURCE_DIR};COMPUTEDB_BIN=$<TARGET_FILE:computedb>;COMPUTEDB_TOOLS_DIR=${CMAKE_BINARY_DIR}/tools")
  endforeach()
endforeach()
