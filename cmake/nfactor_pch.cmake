# SPDX-License-Identifier: Apache-2.0
# Precompiled headers for the targets with many translation units that all
# parse the same heavy headers (CAF: 3-9 s per unit; Boost.Test;
# nlohmann/json). Off by default: ccache does not cache a compile that uses
# a precompiled header unless told to be sloppy about it, and a header
# included everywhere hides a missing #include. CI (.ci/run) turns it on
# for its fresh builds.
option(NFACTOR_PCH "Precompile CAF, Boost.Test and nlohmann/json headers" OFF)

# nfactor_precompile(TARGET HEADER...): HEADER... (as <name>) precompiled
# for TARGET when NFACTOR_PCH is on.
function(nfactor_precompile target)
  if(NFACTOR_PCH AND TARGET ${target})
    target_precompile_headers(${target} PRIVATE ${ARGN})
  endif()
endfunction()
