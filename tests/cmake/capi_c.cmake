# The C ABI from C: capi/glide.h alone as strict C99, the examples and a C test program (all
# built as C99 with -pedantic -Werror), and a leak check of the C test program with LeakSanitizer.
set(GLIDE_C_STRICT_FLAGS -pedantic -Wall -Wextra -Werror)

add_test(NAME capi_header_c99
  COMMAND ${CMAKE_C_COMPILER} -std=c99 ${GLIDE_C_STRICT_FLAGS} -fsyntax-only
          -I${PROJECT_SOURCE_DIR}/capi ${CMAKE_CURRENT_SOURCE_DIR}/capi/header_c99.c)
set_tests_properties(capi_header_c99 PROPERTIES LABELS "capi")
# And alone as C++11 (C++ programs include it too, inside their own code).
add_test(NAME capi_header_cxx
  COMMAND ${CMAKE_CXX_COMPILER} -x c++ -std=c++11 ${GLIDE_C_STRICT_FLAGS} -fsyntax-only
          -I${PROJECT_SOURCE_DIR}/capi ${CMAKE_CURRENT_SOURCE_DIR}/capi/header_cxx.cpp)
set_tests_properties(capi_header_cxx PROPERTIES LABELS "capi")

function(glide_c_program target source)
  add_executable(${target} ${source})
  set_target_properties(${target} PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  target_compile_options(${target} PRIVATE ${GLIDE_C_STRICT_FLAGS})
  target_link_libraries(${target} PRIVATE glide)
endfunction()

glide_c_program(example_c_tokenize ${PROJECT_SOURCE_DIR}/examples/c_tokenize.c)
glide_c_program(example_c_inspect ${PROJECT_SOURCE_DIR}/examples/c_inspect.c)
glide_c_program(example_c_generate ${PROJECT_SOURCE_DIR}/examples/c_generate.c)
glide_c_program(c_abi_test ${CMAKE_CURRENT_SOURCE_DIR}/capi/c_abi_test.c)

add_test(NAME capi_example_tokenize COMMAND example_c_tokenize "a red circle on a blue background")
set_tests_properties(capi_example_tokenize PROPERTIES LABELS "capi"
  PASS_REGULAR_EXPRESSION "7 tokens: 64 2266 9197 319 257 4171 4469\ndecoded: a red circle on a blue background\n")

# Text to PNG files with the shipped shapes pair, 4 steps a stage, two calls on one pipeline. The
# example refuses files that exist: a setup test removes the previous run's.
set(c_generate_prefix "${CMAKE_CURRENT_BINARY_DIR}/c_generate_test")
add_test(NAME capi_example_generate_clean
  COMMAND ${CMAKE_COMMAND} -E rm -f "${c_generate_prefix}-seed0-0.png"
          "${c_generate_prefix}-seed0-1.png" "${c_generate_prefix}-seed2-0.png"
          "${c_generate_prefix}-seed2-1.png")
set_tests_properties(capi_example_generate_clean PROPERTIES LABELS "capi"
  FIXTURES_SETUP c_generate_outputs)
add_test(NAME capi_example_generate
  COMMAND example_c_generate "a red circle on a blue background" "${c_generate_prefix}" 4)
set_tests_properties(capi_example_generate PROPERTIES LABELS "capi"
  FIXTURES_REQUIRED c_generate_outputs
  PASS_REGULAR_EXPRESSION "wrote [^\n]*c_generate_test-seed0-0.png ... -1.png \\(128x128\\)\nwrote [^\n]*c_generate_test-seed2-0.png ... -1.png")

set(capi_checkpoint "")
if(EXISTS "${GLIDE_DEFAULT_GOLDENS}/model_text2im.pt")
  set(capi_checkpoint "${GLIDE_DEFAULT_GOLDENS}/model_text2im.pt")
  add_test(NAME capi_example_inspect COMMAND example_c_inspect "${capi_checkpoint}")
  set_tests_properties(capi_example_inspect PROPERTIES LABELS "capi"
    PASS_REGULAR_EXPRESSION "format: torch-zip\ntensors: 183\nparameters: 2484198\n")
endif()
add_test(NAME capi_example_inspect_missing COMMAND example_c_inspect "${CMAKE_CURRENT_BINARY_DIR}/none.pt")
set_tests_properties(capi_example_inspect_missing PROPERTIES LABELS "capi" WILL_FAIL TRUE)

add_test(NAME capi_c COMMAND c_abi_test ${capi_checkpoint})
set_tests_properties(capi_c PROPERTIES LABELS "capi")

# Leak check: the C test program built with LeakSanitizer (-fsanitize=leak), which fails it on
# any unreachable block at exit. (valgrind cannot run it: Debian's LibTorch loads libhwy, through
# OpenCV and libjxl, whose initialiser executes RDTSCP, an instruction valgrind 3.19 rejects.)
# A second program leaks a checkpoint handle on purpose, to show the check would notice.
include(CheckCSourceCompiles)
set(CMAKE_REQUIRED_FLAGS -fsanitize=leak)
set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=leak)
check_c_source_compiles("int main(void) { return 0; }" GLIDE_HAVE_LSAN)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
if(GLIDE_HAVE_LSAN)
  glide_c_program(c_abi_test_lsan ${CMAKE_CURRENT_SOURCE_DIR}/capi/c_abi_test.c)
  glide_c_program(capi_deliberate_leak ${CMAKE_CURRENT_SOURCE_DIR}/capi/deliberate_leak.c)
  foreach(target IN ITEMS c_abi_test_lsan capi_deliberate_leak)
    target_compile_options(${target} PRIVATE -fsanitize=leak -g -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=leak)
  endforeach()
  add_test(NAME capi_lsan COMMAND c_abi_test_lsan ${capi_checkpoint})
  set_tests_properties(capi_lsan PROPERTIES LABELS "capi;leaks"
    ENVIRONMENT "LSAN_OPTIONS=exitcode=23"
    FAIL_REGULAR_EXPRESSION "LeakSanitizer")
  if(capi_checkpoint)
    add_test(NAME capi_lsan_catches_leaks COMMAND capi_deliberate_leak ${capi_checkpoint})
    set_tests_properties(capi_lsan_catches_leaks PROPERTIES LABELS "capi;leaks"
      PASS_REGULAR_EXPRESSION "LeakSanitizer: detected memory leaks")
  endif()
  # The C++ tests of the C API too, with the leak checker's runtime preloaded (it needs no
  # instrumentation, only its malloc): images handed out and freed, error paths, threads.
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=liblsan.so
                  OUTPUT_VARIABLE lsan_runtime OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(TARGET test_capi AND IS_ABSOLUTE "${lsan_runtime}" AND EXISTS "${lsan_runtime}")
    add_test(NAME capi_cxx_lsan COMMAND test_capi)
    set_tests_properties(capi_cxx_lsan PROPERTIES LABELS "capi;leaks"
      ENVIRONMENT "LD_PRELOAD=${lsan_runtime};LSAN_OPTIONS=exitcode=23"
      FAIL_REGULAR_EXPRESSION "LeakSanitizer")
  endif()
endif()
