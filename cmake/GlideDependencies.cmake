# Every third-party dependency is found here, so the parts' CMakeLists only link targets.
find_package(Torch REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.9 REQUIRED)
find_package(ICU REQUIRED COMPONENTS uc i18n)
find_package(PNG REQUIRED)
find_package(ZLIB REQUIRED)  # PNG text chunks are inflated by glide, within bounds
# JPEG is optional: without it, training image folders take PNG only.
find_package(JPEG)

# LibTorch's CMake package exports flags through a variable rather than its targets.
separate_arguments(GLIDE_TORCH_CXX_FLAGS UNIX_COMMAND "${TORCH_CXX_FLAGS}")
if(TORCH_CUDA_LIBRARIES OR CUDA_FOUND)
  set(GLIDE_WITH_CUDA ON)
else()
  set(GLIDE_WITH_CUDA OFF)
endif()
# glide's own CUDA kernels (src/cuda/kernels) need nvcc; OFF builds the CUDA path without them.
option(GLIDE_CUDA_KERNELS "Build glide's CUDA kernels when LibTorch has CUDA (needs nvcc)" ON)
if(GLIDE_WITH_CUDA AND GLIDE_CUDA_KERNELS)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    include(GlideCudaArchitectures)
    glide_cuda_architectures_from_torch_list("$ENV{TORCH_CUDA_ARCH_LIST}" CMAKE_CUDA_ARCHITECTURES)
    if(NOT CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 90)  # Hopper (H100, H200); others: -D or TORCH_CUDA_ARCH_LIST
    endif()
    message(STATUS "glide: CUDA architectures ${CMAKE_CUDA_ARCHITECTURES}")
  endif()
  enable_language(CUDA)
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  set(GLIDE_WITH_CUDA_KERNELS ON)
else()
  set(GLIDE_WITH_CUDA_KERNELS OFF)
endif()
message(STATUS "glide: LibTorch ${Torch_VERSION}, CUDA ${GLIDE_WITH_CUDA}, "
               "CUDA kernels ${GLIDE_WITH_CUDA_KERNELS}")
