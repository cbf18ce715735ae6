# Shared by the run_cli_*.cmake scripts (included, never registered): running glide, checking its
# output, and the golden tiny models' flags. Needs GLIDE; the golden helpers GOLDENS; WORK_DIR,
# when set, is emptied.

# Runs glide with the arguments and fails the test unless it exits with `expect`: "ok" (0), "fail"
# (anything but 0) or an exact status. The program's stdout goes to `stdout_var`, its stdout and
# stderr together to `all_var`.
function(glide_run_stdout expect stdout_var all_var)
  execute_process(COMMAND "${GLIDE}" ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(expect STREQUAL "ok")
    set(expect 0)
  endif()
  if(expect STREQUAL "fail")
    if(rc EQUAL 0)
      message(FATAL_ERROR "glide ${ARGN} should have failed:\n${out}\n${err}")
    endif()
  elseif(NOT rc EQUAL expect)
    message(FATAL_ERROR "glide ${ARGN} exited with ${rc}, expected ${expect}:\n${out}\n${err}")
  endif()
  set(${stdout_var} "${out}" PARENT_SCOPE)
  set(${all_var} "${out}${err}" PARENT_SCOPE)
endfunction()

# As glide_run_stdout, with stdout and stderr together in `out_var`.
function(glide_run expect out_var)
  glide_run_stdout("${expect}" unused all ${ARGN})
  set(${out_var} "${all}" PARENT_SCOPE)
endfunction()

function(require text pattern)
  if(NOT text MATCHES "${pattern}")
    message(FATAL_ERROR "expected output matching '${pattern}', got:\n${text}")
  endif()
endfunction()

function(forbid text pattern)
  if(text MATCHES "${pattern}")
    message(FATAL_ERROR "output must not match '${pattern}', got:\n${text}")
  endif()
endfunction()

function(require_same_file a b)
  file(SHA256 "${a}" ha)
  file(SHA256 "${b}" hb)
  if(NOT ha STREQUAL hb)
    message(FATAL_ERROR "${a} and ${b} differ")
  endif()
endfunction()

# Prints "SKIPPED: ..." (the tests' SKIP_REGULAR_EXPRESSION) and sets `var` when a golden file
# is missing.
function(require_goldens var)
  set(${var} TRUE PARENT_SCOPE)
  foreach(name IN LISTS ARGN)
    if(NOT EXISTS "${GOLDENS}/${name}")
      message("SKIPPED: golden file ${GOLDENS}/${name} not found (set up ../shared/goldens)")
      set(${var} FALSE PARENT_SCOPE)
      return()
    endif()
  endforeach()
endfunction()

# Writes models.json's options for `case` as a --model-config file; sets `var` to its path.
function(golden_config var case)
  file(READ "${GOLDENS}/models.json" models)
  string(JSON options GET "${models}" "${case}" options)
  file(WRITE "${WORK_DIR}/${case}.json" "${options}")
  set(${var} "${WORK_DIR}/${case}.json" PARENT_SCOPE)
endfunction()

# Sets `var` to the flags naming the golden text2im base model and superres upsampler with their
# configs.
function(golden_pipeline_flags var)
  golden_config(base_config text2im)
  golden_config(up_config superres)
  set(${var} --model "${GOLDENS}/model_text2im.pt" --model-config "${base_config}"
      --upsampler-model "${GOLDENS}/model_superres.pt" --upsampler-model-config "${up_config}"
      PARENT_SCOPE)
endfunction()

if(WORK_DIR)
  file(REMOVE_RECURSE "${WORK_DIR}")
  file(MAKE_DIRECTORY "${WORK_DIR}")
endif()
