# SPDX-License-Identifier: Apache-2.0
# Warnings and sanitizers, applied through one interface target so every
# target of the project gets the same flags.
add_library(nfactor_build_flags INTERFACE)
add_library(nfactor::build_flags ALIAS nfactor_build_flags)
target_compile_options(nfactor_build_flags INTERFACE -Wall -Wextra
                       $<$<BOOL:${NFACTOR_WERROR}>:-Werror>)
# -fno-sanitize=vptr: CAF 0.17.6's intrusive mailbox queues
# (caf/intrusive/task_queue.hpp, promote()) static_cast their list-head
# sentinel, a task_queue, to mailbox_element; UBSan's vptr check reports that
# in every translation unit that instantiates a blocking receive. It is CAF's
# header code compiled into ours and cannot be suppressed at run time with
# -fno-sanitize-recover, so that one check is off; all others stay on.
#
# Test code (targets with the property NFACTOR_TEST_CODE, set by
# nfactor_add_suites) also goes without UBSan's null and alignment checks.
# Together they instrument every member access and reference binding, which
# in the CAF-heavy test units is almost only CAF's own header code, and
# they cost more than everything else: a test unit compiles in ~20 s with
# ASan and the rest of UBSan, ~35 s with them (g++ 12, -O0, measured on
# tests/actors/node_relay.cpp). The libraries and apps the tests run,
# where our code is, keep every check.
if(NFACTOR_SANITIZE)
  set(_nfactor_san -fsanitize=address,undefined -fno-sanitize=vptr
                   -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_compile_options(nfactor_build_flags INTERFACE ${_nfactor_san}
    $<$<BOOL:$<TARGET_PROPERTY:NFACTOR_TEST_CODE>>:-fno-sanitize=null,alignment>)
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
