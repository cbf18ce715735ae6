# `glide info` on a golden model and on a file that does not exist.
if(TARGET glide_cli AND EXISTS "${GLIDE_DEFAULT_GOLDENS}/model_text2im.pt")
  add_test(NAME cli_info COMMAND glide_cli info "${GLIDE_DEFAULT_GOLDENS}/model_text2im.pt")
  set_tests_properties(cli_info PROPERTIES LABELS "io;cli"
    PASS_REGULAR_EXPRESSION "format: torch-zip\ntensors: 183\nparameters: 2,484,198\n")
  add_test(NAME cli_info_json COMMAND glide_cli info --json "${GLIDE_DEFAULT_GOLDENS}/sampling_text2im.pt")
  set_tests_properties(cli_info_json PROPERTIES LABELS "io;cli"
    PASS_REGULAR_EXPRESSION "\"noise_schedule\": \"squaredcos_cap_v2\"")
endif()
if(TARGET glide_cli)
  add_test(NAME cli_info_missing COMMAND glide_cli info "${CMAKE_CURRENT_BINARY_DIR}/no-such-file.pt")
  set_tests_properties(cli_info_missing PROPERTIES LABELS "io;cli" WILL_FAIL TRUE)
endif()
