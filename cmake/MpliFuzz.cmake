# The libFuzzer targets in the ordinary build's ctest. libFuzzer needs clang; the ordinary build
# is gcc's. So when a probe shows that a clang can link -fsanitize=fuzzer, this source tree is
# built a second time with that clang (ExternalProject, in <build>/fuzz-clang, MPLI_FUZZ=ON,
# only the fuzz targets and what they reach), and ctest runs every target
#   fuzz_<name>_corpus  over its seed corpus, as a regression test (label fuzz);
#   fuzz_<name>_run     for MPLI_FUZZ_SECONDS (10) seconds of fuzzing (label fuzz);
#   fuzz_<name>_long    for ${MPLI_FUZZ_SECONDS:-600} seconds, only with `ctest -C fuzz-long`
#                       (label fuzz-long; fuzz/run.sh runs these).
# Without such a clang the targets are left out, with a message saying why.
option(MPLI_FUZZ_TESTS "Build the libFuzzer targets with clang and run them in ctest" ON)
set(MPLI_FUZZ_SECONDS 10 CACHE STRING "Seconds of fuzzing per target in ./test.sh")
# -O0 by default: the clang build (about 120 files under the sanitizers) takes a quarter less
# time than at -O1 (docs/development.md), and ./test.sh fuzzes each target for seconds only.
# fuzz/run.sh, which fuzzes for minutes, configures -O1 (more inputs a second).
set(MPLI_FUZZ_OPTIMIZE -O0 CACHE STRING "Optimisation of the clang fuzz build (-O0 or -O1)")

# Sets ${out} to TRUE when clang++ compiles and links a libFuzzer target with the sanitizers
# the fuzz build uses. The answer is cached per compiler: configuring again costs nothing.
function(mpli_fuzz_probe out)
  find_program(MPLI_FUZZ_CLANG NAMES clang clang-14)
  find_program(MPLI_FUZZ_CLANGXX NAMES clang++ clang++-14)
  if(NOT MPLI_FUZZ_CLANG OR NOT MPLI_FUZZ_CLANGXX)
    set(${out} FALSE PARENT_SCOPE)
    set(MPLI_FUZZ_WHY "no clang/clang++ found (scripts/packages.d/fuzz.txt installs them)"
        PARENT_SCOPE)
    return()
  endif()
  if(NOT MPLI_FUZZ_PROBED_WITH STREQUAL MPLI_FUZZ_CLANGXX)
    set(dir ${CMAKE_BINARY_DIR}/CMakeFiles/mpli_fuzz_probe)
    file(MAKE_DIRECTORY ${dir})
    file(WRITE ${dir}/probe.cc
         "#include <cstddef>\n#include <cstdint>\n"
         "extern \"C\" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n")
    execute_process(
      COMMAND ${MPLI_FUZZ_CLANGXX} -fsanitize=fuzzer,address,undefined ${dir}/probe.cc
              -o ${dir}/probe
      RESULT_VARIABLE rc OUTPUT_VARIABLE log ERROR_VARIABLE log)
    if(rc EQUAL 0)
      set(ok TRUE)
    else()
      set(ok FALSE)
      string(REGEX REPLACE "\n.*" "" first_line "${log}")
      set(MPLI_FUZZ_PROBE_ERROR "${first_line}" CACHE INTERNAL "")
    endif()
    set(MPLI_FUZZ_PROBE_OK ${ok} CACHE INTERNAL "")
    set(MPLI_FUZZ_PROBED_WITH ${MPLI_FUZZ_CLANGXX} CACHE INTERNAL "")
  endif()
  set(${out} ${MPLI_FUZZ_PROBE_OK} PARENT_SCOPE)
  set(MPLI_FUZZ_WHY "${MPLI_FUZZ_CLANGXX} cannot link -fsanitize=fuzzer (libclang-rt-14-dev \
missing?): ${MPLI_FUZZ_PROBE_ERROR}" PARENT_SCOPE)
endfunction()

# The clang build of the targets NAMES (fuzz targets and helpers in fuzz/CMakeLists.txt) as the
# target mpli_fuzz_clang, part of `all`; sets MPLI_FUZZ_BIN to where the binaries land.
# MPLI_FUZZ_OPTIMIZE and line tables only: the sanitizers' reports keep file:line, and the
# build costs a fraction of -O2 -g.
function(mpli_fuzz_build)
  cmake_parse_arguments(ARG "" "" "NAMES" ${ARGN})
  include(ExternalProject)
  set(dir ${CMAKE_BINARY_DIR}/fuzz-clang)
  set(byproducts)
  foreach(name IN LISTS ARG_NAMES)
    list(APPEND byproducts ${dir}/bin/${name})
  endforeach()
  ExternalProject_Add(mpli_fuzz_clang
    SOURCE_DIR ${PROJECT_SOURCE_DIR}
    BINARY_DIR ${dir}
    PREFIX ${CMAKE_BINARY_DIR}/fuzz-clang-ep
    CMAKE_GENERATOR ${CMAKE_GENERATOR}
    CMAKE_ARGS
      -DCMAKE_C_COMPILER=${MPLI_FUZZ_CLANG}
      -DCMAKE_CXX_COMPILER=${MPLI_FUZZ_CLANGXX}
      -DCMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER}
      -DCMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER}
      -DCMAKE_BUILD_TYPE=RelWithDebInfo
      "-DCMAKE_C_FLAGS_RELWITHDEBINFO=${MPLI_FUZZ_OPTIMIZE} -gline-tables-only"
      "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=${MPLI_FUZZ_OPTIMIZE} -gline-tables-only"
      -DMPLI_FUZZ=ON
      -DMPLI_BUILD_TESTS=OFF
    BUILD_COMMAND ${CMAKE_COMMAND} --build ${dir} --target ${ARG_NAMES}
    # The nested build decides itself what is out of date.
    BUILD_ALWAYS ON
    BUILD_BYPRODUCTS ${byproducts}
    INSTALL_COMMAND "")
  set(MPLI_FUZZ_BIN ${dir}/bin PARENT_SCOPE)
endfunction()

# The three ctest entries of one libFuzzer target (see the top of this file); fuzz/run-target.sh
# holds each target's corpus directories and options.
function(mpli_fuzz_tests name)
  set(script ${PROJECT_SOURCE_DIR}/fuzz/run-target.sh)
  set(work ${CMAKE_CURRENT_BINARY_DIR}/fuzz-work)
  set(bin ${MPLI_FUZZ_BIN}/${name}_fuzz)
  add_test(NAME fuzz_${name}_corpus COMMAND ${script} corpus ${bin} ${work})
  set_tests_properties(fuzz_${name}_corpus PROPERTIES LABELS fuzz TIMEOUT 120)
  add_test(NAME fuzz_${name}_run COMMAND ${script} fuzz ${bin} ${work} ${MPLI_FUZZ_SECONDS})
  # libFuzzer stops itself after the given time; the timeout is for a hang it cannot stop.
  math(EXPR timeout "${MPLI_FUZZ_SECONDS} * 3 + 60")
  set_tests_properties(fuzz_${name}_run PROPERTIES LABELS fuzz TIMEOUT ${timeout})
  add_test(NAME fuzz_${name}_long CONFIGURATIONS fuzz-long
           COMMAND ${script} fuzz ${bin} ${work} long)
  set_tests_properties(fuzz_${name}_long PROPERTIES LABELS fuzz-long TIMEOUT 86400)
endfunction()
