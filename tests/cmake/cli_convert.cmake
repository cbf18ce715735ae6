# `glide convert`: a golden .pt model to .safetensors, re-typed copies, overwrite refusal, and
# `glide info` on each result (tests/cmake/run_cli_convert.cmake does the steps).
if(TARGET glide_cli AND EXISTS "${GLIDE_DEFAULT_GOLDENS}/model_text2im.pt")
  add_test(NAME cli_convert
    COMMAND ${CMAKE_COMMAND}
      -DGLIDE=$<TARGET_FILE:glide_cli>
      -DGOLDENS=${GLIDE_DEFAULT_GOLDENS}
      -DWORK_DIR=${PROJECT_BINARY_DIR}/cli-convert-test
      -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/run_cli_convert.cmake)
  set_tests_properties(cli_convert PROPERTIES LABELS "io;cli" TIMEOUT 600)
endif()
if(TARGET glide_cli)
  add_test(NAME cli_convert_missing
    COMMAND glide_cli convert "${CMAKE_CURRENT_BINARY_DIR}/no-such-file.pt"
            "${CMAKE_CURRENT_BINARY_DIR}/never-written.safetensors")
  set_tests_properties(cli_convert_missing PROPERTIES LABELS "io;cli" WILL_FAIL TRUE)
endif()
