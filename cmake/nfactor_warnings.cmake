# SPDX-License-Identifier: Apache-2.0
# Warnings and sanitizers, applied through one interface target so every
# target of the project gets the same flags.
add_library(nfactor_build_flags INTERFACE)
add_library(nfactor::build_flags ALIAS nfactor_build_flags)
target_compile_options(nfactor_build_flags INTERFACE -Wall -Wextra
                       $<$<BOOL:${NFACTOR_WERROR}>:-Werror>)
if(NFACTOR_SANITIZE)
  set(_nfactor_san -fsanitize=address,undefined -fno-omit-frame-pointer
                   -fno-sanitize-recover=undefined)
  target_compile_options(nfactor_build_flags INTERFACE ${_nfactor_san})
  target_link_options(nfactor_build_flags INTERFACE ${_nfactor_san})
endif()
if(NFACTOR_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "NFACTOR_FUZZ needs clang (CXX=clang++)")
  endif()
  set(_nfactor_fuzz -fsanitize=fuzzer-no-link,address,undefined
                    -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_compile_options(nfactor_build_flags INTERFACE ${_nfactor_fuzz})
  target_link_options(nfactor_build_flags INTERFACE
                      -fsanitize=address,undefined)
endif()
