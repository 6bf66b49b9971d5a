# SPDX-License-Identifier: MIT
# The optional PostgreSQL driver (schema/pg_*.c), built when pkg-config
# finds libpq. COMPUTEDB_PG=OFF leaves it out even then. Included from
# CMakeLists.txt once svc_core exists; schema/pg_*.c are in svc_core's glob
# and are taken back out of it when the driver is not built.
option(COMPUTEDB_PG "Build the PostgreSQL driver when libpq is found" ON)

set(SVC_PG_BUILT OFF)
if(NOT COMPUTEDB_PG)
  message(STATUS "PostgreSQL driver off (COMPUTEDB_PG=OFF)")
else()
  pkg_check_modules(PQ IMPORTED_TARGET libpq)
  get_target_property(pg_core_sources svc_core SOURCES)
  list(FILTER pg_core_sources INCLUDE REGEX "/schema/pg_[^/]*\\.c$")
  if(PQ_FOUND AND NOT pg_core_sources)
    # COMPUTEDB_HAVE_PG makes schema/pool.c call the driver, so it needs
    # the driver's sources too (a checkout from before they existed).
    message(STATUS "PostgreSQL driver skipped: no schema/pg_*.c sources")
  elseif(PQ_FOUND)
    set(SVC_PG_BUILT ON)
    message(STATUS "PostgreSQL driver on (libpq ${PQ_VERSION})")
  else()
    message(STATUS "PostgreSQL driver skipped: libpq not found (Debian: libpq-dev)")
  endif()
endif()

if(SVC_PG_BUILT)
  # PUBLIC: the tests, which link svc_core, may ask for it as well.
  target_compile_definitions(svc_core PUBLIC COMPUTEDB_HAVE_PG=1)
  target_link_libraries(svc_core PUBLIC PkgConfig::PQ)
else()
  get_target_property(pg_core_sources svc_core SOURCES)
  list(FILTER pg_core_sources EXCLUDE REGEX "/schema/pg_[^/]*\\.c$")
  set_property(TARGET svc_core PROPERTY SOURCES ${pg_core_sources})
endif()
