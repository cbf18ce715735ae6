# The io tests exercise the private parsers (src/io/*.hpp) directly, as the fuzzers do.
if(TARGET test_io)
  target_include_directories(test_io PRIVATE "${PROJECT_SOURCE_DIR}/src")
endif()
