# SPDX-License-Identifier: Apache-2.0
# Precompiled headers for the targets with many translation units that all
# parse the same heavy headers (CAF: 3-9 s per unit; Boost.Test;
# nlohmann/json). Off by default: ccache does not cache a compile that uses
# a precompiled header unless told to be sloppy about it, and a header
# included everywhere hides a missing #include.
#
#   OFF    no precompiled headers (default; the README's build)
#   ON     for the library and the tests
#   TESTS  for the tests only: the library and apps still compile without
#          them, so a missing #include there still fails. CI's Release tree
#          (.ci/run); its sanitizer tree uses ON.
set(NFACTOR_PCH OFF CACHE STRING "Precompiled headers: OFF, ON or TESTS")
set_property(CACHE NFACTOR_PCH PROPERTY STRINGS OFF ON TESTS)
string(TOUPPER "${NFACTOR_PCH}" _nfactor_pch)
if(_nfactor_pch STREQUAL "TESTS")
  set(NFACTOR_PCH_MODE TESTS)
elseif(NFACTOR_PCH) # ON, TRUE, 1, ...
  set(NFACTOR_PCH_MODE ON)
else()
  set(NFACTOR_PCH_MODE OFF)
endif()

# nfactor_precompile(TARGET HEADER...): HEADER... (as <name>) precompiled
# for TARGET as NFACTOR_PCH says; test targets are those with the property
# NFACTOR_TEST_CODE (set by nfactor_add_suites).
function(nfactor_precompile target)
  if(NOT TARGET ${target} OR NFACTOR_PCH_MODE STREQUAL "OFF")
    return()
  endif()
  get_target_property(test_code ${target} NFACTOR_TEST_CODE)
  if(NFACTOR_PCH_MODE STREQUAL "ON" OR test_code)
    target_precompile_headers(${target} PRIVATE ${ARGN})
  endif()
endfunction()
