# Installs glide into a scratch prefix (not the configured one), then configures, builds and runs
# tests/consumer against it, and compiles a C example with what pkg-config says of it.
set(consumer_work "${PROJECT_BINARY_DIR}/consumer-test")
add_test(NAME install_consumer
  COMMAND ${CMAKE_COMMAND}
    -DGLIDE_BUILD_DIR=${PROJECT_BINARY_DIR}
    -DWORK_DIR=${consumer_work}
    -DCONSUMER_SOURCE=${CMAKE_CURRENT_SOURCE_DIR}/consumer
    -DTORCH_DIR=${Torch_DIR}
    -DC_COMPILER=${CMAKE_C_COMPILER}
    -DC_EXAMPLE=${PROJECT_SOURCE_DIR}/examples/c_tokenize.c
    -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/run_install_consumer.cmake)
set_tests_properties(install_consumer PROPERTIES LABELS "install" TIMEOUT 900)
