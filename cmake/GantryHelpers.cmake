# One static library per module, tests beside the code (modelled on absl_cc_library).
#
#   gantry_cc_library(NAME placement SRCS a.cc b.cc DEPS other::lib)
#   gantry_cc_test(NAME placement_test SRCS a_test.cc DEPS gantry::placement LABELS unit)
#   gantry_cc_binary(NAME gantryctl SRCS main.cc DEPS gantry::cli)
#   gantry_cc_benchmark(NAME placement_benchmark SRCS b.cc DEPS gantry::placement)
#   gantry_cc_fuzzer(NAME cql_fuzzer SRCS f.cc DEPS gantry::placement)
include_guard(GLOBAL)

set(GANTRY_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wimplicit-fallthrough)
# GCC 12 reports -Wmaybe-uninitialized false positives inside std::variant moves at -O2 (our
# Result/StatusOr types are variants); clang, which builds the fuzzers, still checks.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND GANTRY_WARNINGS -Wno-maybe-uninitialized)
endif()

function(gantry_apply_options target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_compile_options(${target} PRIVATE ${GANTRY_WARNINGS})
  if(GANTRY_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(gantry_cc_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(gantry_${ARG_NAME} STATIC ${ARG_SRCS})
  add_library(gantry::${ARG_NAME} ALIAS gantry_${ARG_NAME})
  # Includes are written from the source root: #include "placement/placement.h".
  target_include_directories(gantry_${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(gantry_${ARG_NAME} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_DEPS})
  gantry_apply_options(gantry_${ARG_NAME})
endfunction()

function(gantry_cc_binary)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
  gantry_apply_options(${ARG_NAME})
endfunction()

# Test sources are most of the build (65 translation units, each 15-30 s at -O2 -g on CI's two
# cores). They are compiled at -Og with line tables only, which halves their time, and share one
# precompiled header of the heavy third-party headers nearly all of them use. The code under test
# is built like the rest of the tree; the sanitizer build compiles everything at -O0 anyway.
set(GANTRY_TEST_COMPILE_OPTIONS "")
if(NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
  set(GANTRY_TEST_COMPILE_OPTIONS -Og -g1)
endif()

function(gantry_test_options target)
  gantry_apply_options(${target})
  target_compile_options(${target} PRIVATE ${GANTRY_TEST_COMPILE_OPTIONS})
endfunction()

function(gantry_test_precompiled_header)
  if(TARGET gantry_test_pch)
    return()
  endif()
  add_library(gantry_test_pch OBJECT ${PROJECT_SOURCE_DIR}/tests/testlib/precompiled.cc)
  target_link_libraries(gantry_test_pch PRIVATE GTest::gtest GTest::gmock gRPC::grpc++
                                                 nlohmann_json::nlohmann_json)
  target_precompile_headers(gantry_test_pch PRIVATE <gtest/gtest.h> <gmock/gmock.h>
                            <nlohmann/json.hpp> <grpcpp/grpcpp.h>)
  gantry_test_options(gantry_test_pch)
endfunction()

function(gantry_cc_test)
  if(NOT GANTRY_BUILD_TESTS)
    return()
  endif()
  # RUN_SERIAL: ctest runs its tests alone (tests that bound a server's latency under its own
  # resource limits, which a neighbour's load would blur).
  cmake_parse_arguments(ARG "RUN_SERIAL" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  gantry_test_precompiled_header()
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main
                                            gRPC::grpc++ nlohmann_json::nlohmann_json)
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  gantry_test_options(${ARG_NAME})
  target_precompile_headers(${ARG_NAME} REUSE_FROM gantry_test_pch)
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  set(run_serial FALSE)
  if(ARG_RUN_SERIAL)
    set(run_serial TRUE)
  endif()
  gtest_discover_tests(${ARG_NAME}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS "${ARG_LABELS}" RUN_SERIAL ${run_serial}
    DISCOVERY_TIMEOUT 60)
endfunction()

function(gantry_cc_benchmark)
  if(NOT GANTRY_BUILD_BENCHMARKS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
  gantry_apply_options(${ARG_NAME})
endfunction()

# A libFuzzer target (clang; only with GANTRY_FUZZ), built into fuzz/.
function(gantry_cc_fuzzer)
  if(NOT GANTRY_FUZZ)
    return()
  endif()
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  target_compile_options(${ARG_NAME} PRIVATE -fsanitize=fuzzer)
  target_link_options(${ARG_NAME} PRIVATE -fsanitize=fuzzer)
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/fuzz)
endfunction()
