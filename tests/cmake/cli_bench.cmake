# `glide bench` end to end on the tiny preset: the JSON's keys and figures, the table, and flag
# errors (tests/cmake/run_cli_bench.cmake does the steps). string(JSON) needs CMake 3.19.
if(TARGET glide_cli AND CMAKE_VERSION VERSION_GREATER_EQUAL 3.19)
  add_test(NAME cli_bench
    COMMAND ${CMAKE_COMMAND} -DGLIDE=$<TARGET_FILE:glide_cli>
      -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/run_cli_bench.cmake)
  set_tests_properties(cli_bench PROPERTIES LABELS "cli;bench" TIMEOUT 900)
endif()
