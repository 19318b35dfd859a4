# Runs EXE with ARGS (a ;-list) and checks its exit code (CODE) and combined output (REGEX), and,
# when given, stdout alone (STDOUT_REGEX) and stderr alone (STDERR_REGEX).
# NESTED_FILE: first writes there a Turtle file whose blank nodes nest 20,000 levels deep
# (80 KB; the 257th '[' is line 2, column 1031), too big and too hostile to keep in the tree.
if(DEFINED NESTED_FILE)
  string(REPEAT "[:p " 20000 opening)
  string(REPEAT "]" 20000 closing)
  file(WRITE ${NESTED_FILE} "@prefix : <http://example.org/> .\n:s :p ${opening}:o${closing} .\n")
endif()
execute_process(COMMAND ${EXE} ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL CODE)
  message(FATAL_ERROR "exit code ${rc}, expected ${CODE}\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(DEFINED REGEX AND NOT "${out}${err}" MATCHES "${REGEX}")
  message(FATAL_ERROR "output does not match '${REGEX}'\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(DEFINED STDOUT_REGEX AND NOT "${out}" MATCHES "${STDOUT_REGEX}")
  message(FATAL_ERROR "stdout does not match '${STDOUT_REGEX}'\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(DEFINED STDERR_REGEX AND NOT "${err}" MATCHES "${STDERR_REGEX}")
  message(FATAL_ERROR "stderr does not match '${STDERR_REGEX}'\nstdout:\n${out}\nstderr:\n${err}")
endif()
message(STATUS "ok: exit ${rc}\n${out}${err}")
