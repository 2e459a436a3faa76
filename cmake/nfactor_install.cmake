# SPDX-License-Identifier: Apache-2.0
# `cmake --install` puts headers, libraries, a CMake package config
# (find_package(nfactor)) and a pkg-config file (libnfactor.pc) in place.
include(CMakePackageConfigHelpers)
set(NFACTOR_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/nfactor")

install(EXPORT nfactorTargets NAMESPACE nfactor::
        DESTINATION "${NFACTOR_CMAKE_DIR}")
configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/nfactorConfig.cmake.in"
  "${CMAKE_CURRENT_BINARY_DIR}/nfactorConfig.cmake"
  INSTALL_DESTINATION "${NFACTOR_CMAKE_DIR}")
write_basic_package_version_file(
  "${CMAKE_CURRENT_BINARY_DIR}/nfactorConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/nfactorConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/nfactorConfigVersion.cmake"
              "${CMAKE_CURRENT_LIST_DIR}/FindCAF.cmake"
        DESTINATION "${NFACTOR_CMAKE_DIR}")

configure_file("${CMAKE_CURRENT_LIST_DIR}/libnfactor.pc.in"
               "${CMAKE_CURRENT_BINARY_DIR}/libnfactor.pc" @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/libnfactor.pc"
        DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
