# SPDX-License-Identifier: Apache-2.0
# Fails unless README contains EXAMPLE's text verbatim (its SPDX line
# aside), so the README's example is the one ctest compiles and runs.
file(READ "${README}" readme)
file(READ "${EXAMPLE}" example)
string(REGEX REPLACE "^// SPDX-License-Identifier: [^\n]*\n" "" example
       "${example}")
string(FIND "${readme}" "${example}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "README.md does not contain ${EXAMPLE} verbatim; "
                      "copy the file (without its SPDX line) into README.md")
endif()
