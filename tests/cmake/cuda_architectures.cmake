# The TORCH_CUDA_ARCH_LIST translation, run as a script: no CUDA needed.
add_test(NAME cmake_cuda_architectures
         COMMAND ${CMAKE_COMMAND} -P "${CMAKE_CURRENT_SOURCE_DIR}/cmake/run_cuda_architectures.cmake")
add_test(NAME cmake_cuda_architectures_refuses_unknown
         COMMAND ${CMAKE_COMMAND} -DBAD=1 -P
                 "${CMAKE_CURRENT_SOURCE_DIR}/cmake/run_cuda_architectures.cmake")
set_tests_properties(cmake_cuda_architectures_refuses_unknown PROPERTIES
                     PASS_REGULAR_EXPRESSION "entry 'sm_90' is not an architecture")
