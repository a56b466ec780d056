# hg_library(name SOURCES ... DEPS ...): one static library per src/ folder.
# hg_test(name SOURCES ... DEPS ... LABELS ...): a GoogleTest binary registered with CTest.
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
  cmake_parse_arguments(A "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE ${A_DEPS} GTest::gtest GTest::gtest_main Threads::Threads)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_definitions(${name} PRIVATE HG_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  hg_set_warnings(${name})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 300)
  endif()
  # gtest_discover_tests(PROPERTIES LABELS "a;b") flattens the list (CMake 3.25): "b" became a
  # property name, so only the first label stuck and TIMEOUT was lost. The properties are set
  # instead by a script that ctest includes after the discovered test list.
  gtest_discover_tests(${name} TEST_LIST ${name}_TESTS DISCOVERY_TIMEOUT 60)
  set(props "${CMAKE_CURRENT_BINARY_DIR}/${name}_properties.cmake")
  file(WRITE "${props}" "if(${name}_TESTS)\n  set_tests_properties(\${${name}_TESTS} PROPERTIES "
                        "LABELS \"${A_LABELS}\" TIMEOUT ${A_TIMEOUT})\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${props}")
endfunction()
