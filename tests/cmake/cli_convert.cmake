# `glide convert`: a golden .pt model to .safetensors and back to .pt, re-typed copies, overwrite
# refusal, unsupported output extensions, and `glide info` on each result
# (tests/cmake/run_cli_convert.cmake does the steps).
# With a Python interpreter, the .pt glide writes is also checked with Python's own zipfile and
# pickle against the golden torch.save file (tests/tools/check_torch_save_layout.py).
find_package(Python COMPONENTS Interpreter QUIET)
if(TARGET glide_cli AND EXISTS "${GLIDE_DEFAULT_GOLDENS}/model_text2im.pt")
  add_test(NAME cli_convert
    COMMAND ${CMAKE_COMMAND}
      -DGLIDE=$<TARGET_FILE:glide_cli>
      -DPYTHON=${Python_EXECUTABLE}
      -DLAYOUT_CHECK=${CMAKE_CURRENT_SOURCE_DIR}/tools/check_torch_save_layout.py
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
if(TARGET glide_cli)
  # The output's extension picks the format; an unknown one fails before the input is read.
  add_test(NAME cli_convert_bad_extension
    COMMAND glide_cli convert "${CMAKE_CURRENT_BINARY_DIR}/no-such-file.pt"
            "${CMAKE_CURRENT_BINARY_DIR}/never-written.ckpt")
  set_tests_properties(cli_convert_bad_extension PROPERTIES LABELS "io;cli"
    PASS_REGULAR_EXPRESSION "expected .pt or .pth \\(what torch.save writes\\) or .safetensors, got '.ckpt'")
endif()
