# SPDX-License-Identifier: Apache-2.0
# nfactor_add_subdirs(): adds every direct subdirectory of the current
# source directory that has a CMakeLists.txt (one app or benchmark each).
function(nfactor_add_subdirs)
  file(GLOB dirs LIST_DIRECTORIES true CONFIGURE_DEPENDS
       "${CMAKE_CURRENT_SOURCE_DIR}/*")
  foreach(dir IN LISTS dirs)
    if(IS_DIRECTORY "${dir}" AND EXISTS "${dir}/CMakeLists.txt")
      add_subdirectory("${dir}")
    endif()
  endforeach()
endfunction()
