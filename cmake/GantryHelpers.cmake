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

function(gantry_cc_test)
  if(NOT GANTRY_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  gantry_apply_options(${ARG_NAME})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  gtest_discover_tests(${ARG_NAME}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS "${ARG_LABELS}"
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
