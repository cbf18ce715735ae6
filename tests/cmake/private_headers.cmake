# Tests that exercise private parts directly: the io parsers (src/io/*.hpp), as the fuzzers do,
# and the models' and pipeline's internals (src/models/*.hpp, src/pipeline/*.hpp).
foreach(part io models pipeline)
  if(TARGET test_${part})
    target_include_directories(test_${part} PRIVATE "${PROJECT_SOURCE_DIR}/src")
  endif()
endforeach()
