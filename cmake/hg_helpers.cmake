# hg_library(name SOURCES ... DEPS ...): one static library per src/ folder.
# hg_test(name SOURCES ... DEPS ... LABELS label [TIMEOUT s] [RUNS_HALOGUARD]): a GoogleTest binary
# registered with CTest. One label per binary: gtest_discover_tests splits a list of labels into
# separate arguments. RUNS_HALOGUARD: the test runs the CLI; HG_BINARY is its path, built first.
function(hg_library name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(${name} STATIC ${A_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${A_PUBLIC_DEPS} PRIVATE ${A_DEPS})
  hg_set_warnings(${name})
endfunction()

function(hg_test name)
  if(NOT HG_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(A "RUNS_HALOGUARD" "TIMEOUT;LABELS" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE ${A_DEPS} GTest::gtest GTest::gtest_main Threads::Threads)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_definitions(${name} PRIVATE HG_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  hg_set_warnings(${name})
  if(A_RUNS_HALOGUARD)
    target_compile_definitions(${name} PRIVATE HG_BINARY="$<TARGET_FILE:haloguard>")
    add_dependencies(${name} haloguard)
  endif()
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 300)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${A_LABELS}" TIMEOUT ${A_TIMEOUT}
                       DISCOVERY_TIMEOUT 60)
endfunction()
