# The generating commands on the golden tiny models, each a cmake -P script beside this file:
# `glide generate` (PNG records, overwrite refusal, --from, batches, bad hyperparameters),
# `glide sweep`, `glide upsample` and `glide inpaint`. They print SKIPPED without the goldens.
if(TARGET glide_cli)
  foreach(command generate sweep upsample inpaint)
    add_test(NAME cli_${command}
      COMMAND ${CMAKE_COMMAND}
        -DGLIDE=$<TARGET_FILE:glide_cli>
        -DGOLDENS=${GLIDE_DEFAULT_GOLDENS}
        -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
        -DWORK_DIR=${PROJECT_BINARY_DIR}/cli-${command}-test
        -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/run_cli_${command}.cmake)
    set_tests_properties(cli_${command} PROPERTIES LABELS "cli" TIMEOUT 900
      SKIP_REGULAR_EXPRESSION "SKIPPED:")
  endforeach()
endif()
