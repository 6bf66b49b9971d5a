# SPDX-License-Identifier: MIT
# cdb_pg, the optional PostgreSQL driver (schema/pg/), built when
# pkg-config finds libpq; COMPUTEDB_PG=OFF leaves it out even then. Sets
# COMPUTEDB_PG_BUILT, and defines COMPUTEDB_HAVE_PG for everything that
# links the storage floor (schema/open.c picks the driver with it; tests
# ask for it too).
option(COMPUTEDB_PG "Build the PostgreSQL driver when libpq is found" ON)

set(COMPUTEDB_PG_BUILT OFF)
if(NOT COMPUTEDB_PG)
  message(STATUS "PostgreSQL driver off (COMPUTEDB_PG=OFF)")
else()
  pkg_check_modules(PQ IMPORTED_TARGET libpq)
  if(PQ_FOUND)
    set(COMPUTEDB_PG_BUILT ON)
    message(STATUS "PostgreSQL driver on (libpq ${PQ_VERSION})")
  else()
    message(STATUS "PostgreSQL driver skipped: libpq not found (Debian: libpq-dev)")
  endif()
endif()

if(COMPUTEDB_PG_BUILT)
  computedb_floor(pg schema/pg)
  target_link_libraries(cdb_pg PUBLIC cdb_schema PkgConfig::PQ)
  target_compile_definitions(cdb_schema PUBLIC COMPUTEDB_HAVE_PG=1)
endif()
