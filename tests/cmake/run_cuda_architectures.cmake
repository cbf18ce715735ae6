# cmake -P: TORCH_CUDA_ARCH_LIST's spellings become CMake's CUDA architectures
# (cmake/GlideCudaArchitectures.cmake). With -DBAD=1, an entry that is no architecture, which
# must stop configuration with a message naming it.
include("${CMAKE_CURRENT_LIST_DIR}/../../cmake/GlideCudaArchitectures.cmake")

if(BAD)
  glide_cuda_architectures_from_torch_list("8.0;sm_90" ignored)
  return()
endif()

function(expect torch_list expected)
  glide_cuda_architectures_from_torch_list("${torch_list}" got)
  if(NOT got STREQUAL expected)
    message(FATAL_ERROR "TORCH_CUDA_ARCH_LIST '${torch_list}' gave '${got}', expected '${expected}'")
  endif()
endfunction()

expect("" "")
expect("9.0" "90-real")
expect("8.0;9.0+PTX" "80-real;90")
expect("8.6 9.0" "86-real;90-real")
expect("9.0a" "90a-real")
expect("Ampere;Hopper" "80-real;86-real;90-real")
expect("9.0;9.0" "90-real")
message(STATUS "all TORCH_CUDA_ARCH_LIST spellings map as expected")
