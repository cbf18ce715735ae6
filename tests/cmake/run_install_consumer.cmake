# Script mode (cmake -P): each step must succeed, or the test fails with the step's output.
function(step)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed (${rc}): ${ARGV}\n${out}\n${err}")
  endif()
  message("${out}")
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
step(${CMAKE_COMMAND} --install "${GLIDE_BUILD_DIR}" --prefix "${WORK_DIR}/prefix")
step(${CMAKE_COMMAND} -S "${CONSUMER_SOURCE}" -B "${WORK_DIR}/build"
     "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix" "-DTorch_DIR=${TORCH_DIR}")
step(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
# The library finds the models installed beside it, not those of the configured prefix.
step("${WORK_DIR}/build/consumer" "${WORK_DIR}/prefix/share/glide/models")
# pkg-config sees the same library, wherever the prefix is.
find_program(PKG_CONFIG pkg-config)
if(PKG_CONFIG)
  set(ENV{PKG_CONFIG_PATH} "${WORK_DIR}/prefix/lib/pkgconfig")
  step(${PKG_CONFIG} --exists --print-errors glide)
  step(${PKG_CONFIG} --modversion glide)
  execute_process(COMMAND ${PKG_CONFIG} --cflags --libs glide OUTPUT_VARIABLE flags
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  separate_arguments(flags UNIX_COMMAND "${flags}")
  # As the example's header comment says to build it.
  step(${C_COMPILER} -std=c99 "${C_EXAMPLE}" ${flags} -o "${WORK_DIR}/c_tokenize")
  set(ENV{LD_LIBRARY_PATH} "${WORK_DIR}/prefix/lib")
  step("${WORK_DIR}/c_tokenize" "a red circle")
endif()
