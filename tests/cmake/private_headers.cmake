# Tests that exercise private parts directly: the io parsers (src/io/*.hpp), as the fuzzers do,
# and the pipeline's internals (src/pipeline/*.hpp).
foreach(part io pipeline)
  if(TARGET test_${part})
    target_include_directories(test_${part} PRIVATE "${PROJECT_SOURCE_DIR}/src")
  endif()
endforeach()
