# Runs `mpli shacl validate --report summary` on one file and checks the exit code and the
# exact summary line. Prints "PASS: <summary>" only if both match; otherwise prints what
# differed and fails.
#
# cmake -DMPLI=<exe> -DDATA=<ttl> -DSHAPES=<ttl> -DEXPECTED="conforms=... results=N"
#       -DEXPECTED_RC=<0|1> -P run_validate.cmake
foreach(_var MPLI DATA SHAPES EXPECTED EXPECTED_RC)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "run_validate.cmake: -D${_var}=... is required")
  endif()
endforeach()

execute_process(
  COMMAND ${MPLI} shacl validate --data ${DATA} --shapes ${SHAPES} --report summary
  RESULT_VARIABLE _rc
  OUTPUT_VARIABLE _out
  ERROR_VARIABLE _err
  TIMEOUT 100)
string(STRIP "${_out}" _out)

if(_rc STREQUAL "${EXPECTED_RC}" AND _out STREQUAL "${EXPECTED}")
  execute_process(COMMAND ${CMAKE_COMMAND} -E echo "PASS: ${_out}")
else()
  # Keep the word PASS out of this branch: the test's PASS_REGULAR_EXPRESSION looks for it.
  message(FATAL_ERROR
    "mismatch for ${DATA}\n"
    "  expected exit ${EXPECTED_RC} and '${EXPECTED}'\n"
    "  got exit '${_rc}' and '${_out}'\n"
    "  stderr: ${_err}")
endif()
