# Script mode (cmake -P) for the cli_bench test. GLIDE: the glide program.

include("${CMAKE_CURRENT_LIST_DIR}/run_cli_helpers.cmake")

# A JSON number > 0 at the path (string(JSON) arguments) in `json`.
function(require_positive json)
  string(JSON value ERROR_VARIABLE missing GET "${json}" ${ARGN})
  if(missing)
    message(FATAL_ERROR "JSON lacks ${ARGN}: ${missing}\n${json}")
  endif()
  if(NOT value MATCHES "^[0-9]*\\.?[0-9]+([eE][-+]?[0-9]+)?$" OR value MATCHES "^[0.]+([eE].*)?$")
    message(FATAL_ERROR "JSON ${ARGN} is ${value}; expected a number > 0\n${json}")
  endif()
endfunction()

function(require_equal json expected)
  string(JSON value ERROR_VARIABLE missing GET "${json}" ${ARGN})
  if(missing)
    message(FATAL_ERROR "JSON lacks ${ARGN}: ${missing}\n${json}")
  elseif(NOT value STREQUAL expected)
    message(FATAL_ERROR "JSON ${ARGN} is '${value}'; expected '${expected}'\n${json}")
  endif()
endfunction()

function(require_absent json)
  string(JSON value ERROR_VARIABLE missing GET "${json}" ${ARGN})
  if(NOT missing)
    message(FATAL_ERROR "JSON should not hold ${ARGN} (it is ${value})\n${json}")
  endif()
endfunction()

# The defaults, whatever the caller's environment chose.
unset(ENV{GLIDE_ATTENTION})

# The whole benchmark on the tiny random models, as JSON.
glide_run_stdout(ok json all bench --preset tiny --repeats 1 --batch 1,2 --threads 1 --json)
require_equal("${json}" "cpu (1 thread)" device)
require_equal("${json}" "float32" dtype)
require_equal("${json}" "1" threads)
require_positive("${json}" base_step_ms)
require_positive("${json}" upsampler_step_ms)
require_positive("${json}" peak_memory_mib)
string(JSON source GET "${json}" peak_memory_source)
require("${source}" "RSS")
foreach(batch 1 2)
  require_positive("${json}" pipeline_s ${batch})
  require_positive("${json}" images_per_s ${batch})
  require_positive("${json}" base_step ${batch} ms)
  require_positive("${json}" upsampler_step ${batch} ms)
endforeach()
# Guidance doubles the base model's rows; the upsampler runs one row per image.
require_equal("${json}" "2" base_step 1 rows)
require_equal("${json}" "4" base_step 2 rows)
require_equal("${json}" "2" upsampler_step 2 rows)
# GLIDE's defaults: 100 guided DDPM steps, then fast27 DDIM.
require_equal("${json}" "100" pipeline base steps)
require_equal("${json}" "ddpm" pipeline base sampler)
require_equal("${json}" "27" pipeline upsampler steps)
require_equal("${json}" "ddim" pipeline upsampler sampler)
require_equal("${json}" "OFF" pipeline rebind)  # timed runs reuse the warm-up's networks
require_absent("${json}" pipeline_s 4)
require_absent("${json}" base_step 1 profile)  # only with --profile
# No FLOP count for the tiny shapes, and no peak on a CPU.
require_absent("${json}" base_step 1 tflops)
require_absent("${json}" device_peak_tflops)

# The GLIDE_* switches in effect are part of the report.
require_absent("${json}" environment GLIDE_ATTENTION)
set(ENV{GLIDE_ATTENTION} token-major)
glide_run_stdout(ok json all bench --preset tiny --repeats 1 --batch 1 --threads 1 --only base
  --json)
unset(ENV{GLIDE_ATTENTION})
require_equal("${json}" "token-major" environment GLIDE_ATTENTION)

# The table; --only leaves the other measurements out.
glide_run_stdout(ok table all bench --preset tiny --repeats 1 --batch 1 --only base)
require("${table}" "device +cpu \\([0-9]+ threads?\\)")
require("${table}" "ms/step")
require("${table}" "\n  base +1 +2 ")
require("${table}" "peak memory [0-9]+ MiB")
if(table MATCHES "upsampler +1|whole pipeline")
  message(FATAL_ERROR "--only base measured more than the base model:\n${table}")
endif()
# --profile: where each step's time goes, by operation (on the CPU, ATen operators' self time).
glide_run_stdout(ok json all bench --preset tiny --repeats 1 --batch 1 --threads 1
  --only base,upsampler --profile=4 --json)
foreach(network base_step upsampler_step)
  require_positive("${json}" ${network} 1 profile total_ms)
  require_equal("${json}" "3" ${network} 1 profile runs)
  # The 4 longest operations, then one entry for the rest; the longest first.
  string(JSON count LENGTH "${json}" ${network} 1 profile ops)
  if(NOT count EQUAL 5)
    message(FATAL_ERROR "${network} profile lists ${count} entries; expected 4 + others\n${json}")
  endif()
  string(JSON first GET "${json}" ${network} 1 profile ops 0 name)
  require("${first}" "^aten::")
  require_positive("${json}" ${network} 1 profile ops 0 ms)
  string(JSON rest GET "${json}" ${network} 1 profile ops 4 name)
  require("${rest}" "^\\([0-9]+ others\\)$")
endforeach()
require_absent("${json}" pipeline)
glide_run_stdout(ok table all bench --preset tiny --repeats 1 --batch 1 --threads 1 --only base
  --profile)
require("${table}" "where one base step goes, batch 1 \\(2 rows\\): ATen operators' self time")
require("${table}" "aten::[a-z_]*convolution")

# A list: both networks' steps, no pipeline.
glide_run_stdout(ok table all bench --preset tiny --repeats 1 --batch 1 --only base,upsampler)
require("${table}" "\n  base +1 +2 ")
require("${table}" "\n  upsampler +1 +1 ")
if(table MATCHES "whole pipeline")
  message(FATAL_ERROR "--only base,upsampler ran the pipeline:\n${table}")
endif()

# The pipeline's sampling can be chosen, e.g. the fast path of docs/performance.md.
glide_run_stdout(ok json all bench --preset tiny --repeats 1 --batch 1 --threads 1 --only pipeline
  --base-sampler dpm++2m --base-steps 25 --upsampler-sampler dpm++2m
  --upsampler-steps 10 --no-base-guided --rebind --json)
require_equal("${json}" "25" pipeline base steps)
require_equal("${json}" "dpm++2m" pipeline base sampler)
require_equal("${json}" "OFF" pipeline base guided)  # CMake reads JSON false as OFF
require_equal("${json}" "10" pipeline upsampler steps)
require_equal("${json}" "dpm++2m" pipeline upsampler sampler)
require_equal("${json}" "ON" pipeline rebind)
require_positive("${json}" pipeline_s 1)

# Bad flags are usage errors (exit status 2), naming the flag.
glide_run_stdout(2 out all bench --preset tiny --only foo)
require("${all}" "--only")
glide_run_stdout(2 out all bench --preset tiny --dtype float16)
require("${all}" "--dtype float16 needs --device cuda")
glide_run_stdout(2 out all bench --preset tiny --batch 0)
require("${all}" "--batch 0")
glide_run_stdout(2 out all bench --preset tiny --batch 1,300)
require("${all}" "--batch 300")
glide_run_stdout(2 out all bench --preset tiny --repeats 0)
require("${all}" "--repeats 0")
glide_run_stdout(fail out all bench --preset tiny --device cuda:99)
require("${all}" "--device cuda:99")
glide_run_stdout(2 out all bench --preset tiny --only pipeline --base-steps 5000)
require("${all}" "--base-steps")
glide_run_stdout(2 out all bench --preset tiny --only pipeline --upsampler-sampler euler)
require("${all}" "--upsampler-sampler")
glide_run_stdout(2 out all bench --preset tiny --only pipeline --profile)
require("${all}" "--profile profiles the per-step timings")
glide_run_stdout(2 out all bench --preset tiny --only base --rebind)
require("${all}" "--rebind applies to the pipeline")
glide_run_stdout(2 out all bench --preset tiny --only pipeline --count-syncs)
require("${all}" "--count-syncs needs --device cuda")
glide_run_stdout(2 out all bench --preset tiny --only base --count-syncs)
require("${all}" "--count-syncs counts in the pipeline")
# The pipeline's sampling flags are checked before the models are built, and refused when the
# pipeline is not measured.
glide_run_stdout(2 out all bench --preset tiny --only base --base-steps 10)
require("${all}" "--base-steps sets the pipeline's sampling; --only leaves the pipeline out")
glide_run_stdout(2 out all bench --preset tiny --only pipeline --base-guidance-scale -5)
require("${all}" "base.guidance_scale is -5")
forbid("${all}" "building the models")
glide_run_stdout(2 out all bench --preset huge)
require("${all}" "--preset")
glide_run_stdout(fail out all bench --preset tiny --model no-such-model.safetensors)
require("${all}" "no-such-model.safetensors")
message("cli_bench: all steps passed")
