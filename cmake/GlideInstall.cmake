# `cmake --install`: the library, public headers, a CMake package and a pkg-config file.
include(CMakePackageConfigHelpers)

install(TARGETS glide EXPORT glideTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/glide" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES "${PROJECT_BINARY_DIR}/include/glide/version.hpp"
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/glide)
file(GLOB capi_headers "${PROJECT_SOURCE_DIR}/capi/*.h")
install(FILES ${capi_headers} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(GLIDE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/glide)
install(EXPORT glideTargets NAMESPACE glide:: DESTINATION ${GLIDE_CMAKE_DIR})
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/glideConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/glideConfig.cmake" INSTALL_DESTINATION ${GLIDE_CMAKE_DIR})
write_basic_package_version_file("${PROJECT_BINARY_DIR}/glideConfigVersion.cmake"
  COMPATIBILITY SameMajorVersion)
install(FILES "${PROJECT_BINARY_DIR}/glideConfig.cmake" "${PROJECT_BINARY_DIR}/glideConfigVersion.cmake"
  DESTINATION ${GLIDE_CMAKE_DIR})

# The prefix relative to the .pc file, so that a moved installation still works; /usr stays
# absolute, so that pkg-config recognises (and leaves out) the system directories.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(GLIDE_PC_PREFIX "/usr")
else()
  file(RELATIVE_PATH relative_prefix "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig"
       "${CMAKE_INSTALL_PREFIX}")
  set(GLIDE_PC_PREFIX "\${pcfiledir}/${relative_prefix}")
endif()
configure_file("${PROJECT_SOURCE_DIR}/cmake/glide.pc.in" "${PROJECT_BINARY_DIR}/glide.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/glide.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The shipped default model pair (docs/shapes-model.md), when present in the source tree.
install(DIRECTORY "${PROJECT_SOURCE_DIR}/models/" DESTINATION ${CMAKE_INSTALL_DATADIR}/glide/models
        FILES_MATCHING PATTERN "*.safetensors")
