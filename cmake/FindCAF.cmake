# SPDX-License-Identifier: Apache-2.0
#[=======================================================================[.rst:
FindCAF
-------

Finds the C++ Actor Framework (Debian's ``libcaf-dev`` ships no CMake
config). Components: ``core`` (always), ``io``, ``openssl``.

Imported targets: ``CAF::core``, ``CAF::io``, ``CAF::openssl``.
Result variables: ``CAF_FOUND``, ``CAF_VERSION``, ``CAF_INCLUDE_DIR``.
#]=======================================================================]
include(FindPackageHandleStandardArgs)
find_path(CAF_INCLUDE_DIR caf/config.hpp)
if(CAF_INCLUDE_DIR AND EXISTS "${CAF_INCLUDE_DIR}/caf/config.hpp")
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_ver
       REGEX "^#define CAF_VERSION [0-9]+")
  if(_caf_ver MATCHES "CAF_VERSION ([0-9]+)")
    math(EXPR _maj "${CMAKE_MATCH_1} / 10000")
    math(EXPR _min "(${CMAKE_MATCH_1} / 100) % 100")
    math(EXPR _pat "${CMAKE_MATCH_1} % 100")
    set(CAF_VERSION "${_maj}.${_min}.${_pat}")
  endif()
endif()
set(_caf_components core ${CAF_FIND_COMPONENTS})
list(REMOVE_DUPLICATES _caf_components)
set(_caf_required_vars CAF_INCLUDE_DIR)
foreach(_c IN LISTS _caf_components)
  find_library(CAF_${_c}_LIBRARY NAMES caf_${_c})
  if(CAF_${_c}_LIBRARY)
    set(CAF_${_c}_FOUND TRUE)
  endif()
endforeach()
find_package_handle_standard_args(CAF
  REQUIRED_VARS CAF_INCLUDE_DIR CAF_core_LIBRARY
  VERSION_VAR CAF_VERSION
  HANDLE_COMPONENTS)
if(CAF_FOUND)
  find_package(Threads REQUIRED)
  foreach(_c IN LISTS _caf_components)
    if(CAF_${_c}_FOUND AND NOT TARGET CAF::${_c})
      add_library(CAF::${_c} UNKNOWN IMPORTED)
      set_target_properties(CAF::${_c} PROPERTIES
        IMPORTED_LOCATION "${CAF_${_c}_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}")
      if(NOT _c STREQUAL "core")
        set_property(TARGET CAF::${_c} APPEND PROPERTY
                     INTERFACE_LINK_LIBRARIES CAF::core)
      endif()
    endif()
  endforeach()
  set_property(TARGET CAF::core APPEND PROPERTY
               INTERFACE_LINK_LIBRARIES Threads::Threads)
  if(TARGET CAF::openssl)
    find_package(OpenSSL)
    if(OpenSSL_FOUND)
      set_property(TARGET CAF::openssl APPEND PROPERTY
                   INTERFACE_LINK_LIBRARIES CAF::io OpenSSL::SSL)
    endif()
  endif()
endif()
mark_as_advanced(CAF_INCLUDE_DIR CAF_core_LIBRARY CAF_io_LIBRARY
                 CAF_openssl_LIBRARY)
