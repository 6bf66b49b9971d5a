# SPDX-License-Identifier: MIT
# The link side of the floors: each floor's library is linked whole (every
# object, needed or not) into an empty program with only the floors below
# it, so a call from a floor into one above fails the build at once, not
# only when something happens to pull the calling object in. Built with
# everything else (target floors_check); tests/lint/check_floors.sh checks
# the #include side.
add_custom_target(floors_check ALL)
set(floor_list core schema sqlite storage gpu server handlers cli app)
if(TARGET cdb_pg)
  list(APPEND floor_list pg)
endif()
foreach(floor ${floor_list})
  add_executable(floor_check_${floor} ${CMAKE_SOURCE_DIR}/cmake/floor_main.c)
  target_link_libraries(floor_check_${floor} PRIVATE
    "$<LINK_LIBRARY:WHOLE_ARCHIVE,cdb_${floor}>")
  add_dependencies(floors_check floor_check_${floor})
endforeach()
