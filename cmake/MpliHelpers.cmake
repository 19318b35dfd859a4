# One helper call per target kind, in the manner of Abseil's absl_cc_library:
#   mpli_add_library(NAME core SRCS a.cc DEPS ...)   -> target mpli_core, alias mpli::core
#   mpli_add_executable(NAME mpli-discovery SRCS main.cc DEPS ...)
#   mpli_add_test(NAME core_unit SRCS x_test.cc DEPS ... [LABELS unit])
#   mpli_embed_sql(TARGET t NAMESPACE ns DIR migrations)  -> compiled-in migrations

set(MPLI_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual)

function(mpli_apply_warnings target)
  target_compile_options(${target} PRIVATE ${MPLI_WARNINGS})
  if(MPLI_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(mpli_add_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target mpli_${ARG_NAME})
  if(ARG_SRCS)
    add_library(${target} STATIC ${ARG_SRCS})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
    mpli_apply_warnings(${target})
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${target} INTERFACE ${ARG_DEPS})
  endif()
  add_library(mpli::${ARG_NAME} ALIAS ${target})
endfunction()

function(mpli_add_executable)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  mpli_apply_warnings(${ARG_NAME})
endfunction()

# What every test target and the precompiled header it reuses are compiled with: warnings, and
# test code at -O1 (after the build type's -O2, so it wins): the cases' lambdas and templates
# compile in about two thirds of the time, and what they test, the libraries, stays at -O2.
# One function for both, since GCC refuses a precompiled header built with other options.
function(mpli_apply_test_options target)
  mpli_apply_warnings(${target})
  target_compile_options(${target} PRIVATE $<$<CONFIG:RelWithDebInfo>:-O1>)
endfunction()

# The headers nearly every test translation unit parses (Catch2's single header, nlohmann's
# JSON, libpqxx, the standard library), precompiled once into mpli_test_pch and reused by every
# test target: the suite's 180-odd test files compile in about an eighth less time
# (docs/development.md). -Winvalid-pch (added by CMake) makes a refused header an error under
# MPLI_WERROR instead of a silent slow build. Tests are outside scripts/check-tidy.sh's scope:
# clang-tidy cannot read GCC's precompiled headers.
function(mpli_define_test_pch)
  if(TARGET mpli_test_pch)
    return()
  endif()
  add_library(mpli_test_pch OBJECT ${PROJECT_SOURCE_DIR}/cmake/pch/test_pch.cc)
  target_link_libraries(mpli_test_pch PRIVATE Catch2::Catch2 nlohmann_json::nlohmann_json
                        PkgConfig::PQXX)
  mpli_apply_test_options(mpli_test_pch)
  target_precompile_headers(mpli_test_pch PRIVATE
    <algorithm> <chrono> <filesystem> <fstream> <functional> <map> <memory> <mutex>
    <optional> <set> <sstream> <string> <string_view> <thread> <vector>
    <catch2/catch.hpp> <nlohmann/json.hpp> <pqxx/pqxx>)
endfunction()

# Unit tests are Catch2 binaries whose cases are discovered one by one.
function(mpli_add_test)
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT;COST" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 60)
  endif()
  # COST: ctest starts costlier tests first; a long test given one runs beside the short ones
  # instead of alone at the end of the suite.
  if(NOT ARG_COST)
    set(ARG_COST 0)
  endif()
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} Catch2::Catch2WithMain)
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  mpli_apply_test_options(${ARG_NAME})
  mpli_define_test_pch()
  target_precompile_headers(${ARG_NAME} REUSE_FROM mpli_test_pch)
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  catch_discover_tests(${ARG_NAME}
    TEST_PREFIX "${ARG_NAME}: "
    # A name that selects no test case must fail, not pass having run nothing.
    EXTRA_ARGS --warn NoTests
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT} COST ${ARG_COST}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endfunction()

# Compiles every NNNN_name.sql in DIR into the target, so a service binary carries its own
# schema and never looks for files at run time. Exposes
#   const std::vector<mpli::db::Migration>& <NAMESPACE>::migrations();
function(mpli_embed_sql)
  cmake_parse_arguments(ARG "" "TARGET;NAMESPACE;DIR" "" ${ARGN})
  file(GLOB sql_files CONFIGURE_DEPENDS ${ARG_DIR}/*.sql)
  list(SORT sql_files)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${ARG_TARGET}_migrations.cc)
  # '|' separates the files: a ';' list would be split by the shell.
  string(REPLACE ";" "|" file_list "${sql_files}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAMESPACE=${ARG_NAMESPACE} "-DFILES=${file_list}"
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedSql.cmake
    VERBATIM
    DEPENDS ${sql_files} ${PROJECT_SOURCE_DIR}/cmake/EmbedSql.cmake
    COMMENT "Embedding migrations for ${ARG_TARGET}")
  target_sources(${ARG_TARGET} PRIVATE ${out})
endfunction()

# Compiles every file of DIR matching GLOB into the target as
# `const std::vector<std::pair<std::string, std::string>>& <NAMESPACE>::<FUNCTION>()`: (file
# name, text) pairs sorted by name. For data that comes as a folder of files (the built-in
# service kinds, ontology/kinds/*.ttl).
function(mpli_embed_texts)
  cmake_parse_arguments(ARG "" "TARGET;NAMESPACE;FUNCTION;DIR;GLOB" "" ${ARGN})
  file(GLOB files CONFIGURE_DEPENDS ${ARG_DIR}/${ARG_GLOB})
  list(SORT files)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${ARG_TARGET}_${ARG_FUNCTION}.cc)
  string(REPLACE ";" "|" file_list "${files}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAMESPACE=${ARG_NAMESPACE} -DFUNCTION=${ARG_FUNCTION}
            "-DFILES=${file_list}" -P ${PROJECT_SOURCE_DIR}/cmake/EmbedTexts.cmake
    VERBATIM
    DEPENDS ${files} ${PROJECT_SOURCE_DIR}/cmake/EmbedTexts.cmake
    COMMENT "Embedding ${ARG_DIR}/${ARG_GLOB}")
  target_sources(${ARG_TARGET} PRIVATE ${out})
endfunction()

# Compiles a text file into the target as `const char* <NAMESPACE>::<FUNCTION>()`, so a binary
# carries data it must not look for at run time (the manifest shapes, say).
function(mpli_embed_text)
  cmake_parse_arguments(ARG "" "TARGET;NAMESPACE;FUNCTION;FILE" "" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${ARG_TARGET}_${ARG_FUNCTION}.cc)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAMESPACE=${ARG_NAMESPACE} -DFUNCTION=${ARG_FUNCTION}
            -DFILE=${ARG_FILE} -P ${PROJECT_SOURCE_DIR}/cmake/EmbedText.cmake
    DEPENDS ${ARG_FILE} ${PROJECT_SOURCE_DIR}/cmake/EmbedText.cmake
    COMMENT "Embedding ${ARG_FILE}")
  target_sources(${ARG_TARGET} PRIVATE ${out})
endfunction()
