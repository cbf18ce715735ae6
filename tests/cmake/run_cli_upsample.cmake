# Script mode (cmake -P) for the cli_upsample test: `glide upsample` on the golden tiny upsampler.
cmake_minimum_required(VERSION 3.18)  # the project's policies (CMP0007 keeps empty CSV fields)
include("${CMAKE_CURRENT_LIST_DIR}/run_cli_helpers.cmake")
require_goldens(have model_text2im.pt model_superres.pt models.json)
if(NOT have)
  return()
endif()
golden_config(base_config text2im)
golden_config(up_config superres)

set(small "${WORK_DIR}/small.png")
glide_run(ok out generate -p "a cat" --no-upsample --base-steps 4 --quiet -o "${small}"
          --model "${GOLDENS}/model_text2im.pt" --model-config "${base_config}")
set(up --upsampler-model "${GOLDENS}/model_superres.pt" --upsampler-model-config "${up_config}")
glide_run(ok out upsample --input "${small}" -p "a cat" ${up} --upsampler-steps 4 --seed 2
          --quiet)
require("${out}" "wrote .*small-upsampled.png \\(seed 2\\)")
glide_run(ok info info "${WORK_DIR}/small-upsampled.png")
require("${info}" "size: 32x32\n")
require("${info}" "text: glide_command = upsample\n")
require("${info}" "text: upsampler.respacing = 4\n")
require("${info}" "text: input = [^\n]*small.png\n")
file(SHA256 "${small}" small_sha)
require("${info}" "text: input_sha256 = ${small_sha}\n")
forbid("${info}" "text: base\\.")

# The same seed gives the same file; the output is not overwritten without --overwrite.
glide_run(ok out upsample --input "${small}" -p "a cat" ${up} --upsampler-steps 4 --seed 2
          --quiet -o "${WORK_DIR}/again.png")
require_same_file("${WORK_DIR}/small-upsampled.png" "${WORK_DIR}/again.png")
glide_run(1 out upsample --input "${small}" -p "a cat" ${up} --upsampler-steps 4 --quiet)
require("${out}" "already exists")

# The base stage's flags do not exist here; a missing input is a usage error.
glide_run(2 out upsample --input "${small}" -p "a cat" ${up} --base-steps 4)
glide_run(2 out upsample --input "${WORK_DIR}/missing.png" -p "a cat" ${up})
require("${out}" "missing.png")
glide_run(2 out upsample --input "${small}" -p "a" -p "b" ${up} -o "${WORK_DIR}/two.png")
require("${out}" "--prompt is given 2 times; upsample enlarges one image")

# `glide upsample --from` remakes an upsampled image from its record (parameters, model and
# input); a flag overrides; an image of another command is refused, naming the one for it.
glide_run(ok out upsample --from "${WORK_DIR}/small-upsampled.png" -o "${WORK_DIR}/from.png"
          --quiet)
require_same_file("${WORK_DIR}/small-upsampled.png" "${WORK_DIR}/from.png")
glide_run(ok out upsample --from "${WORK_DIR}/small-upsampled.png" -p "a dog"
          -o "${WORK_DIR}/dog.png" --quiet)
glide_run(ok info info "${WORK_DIR}/dog.png")
require("${info}" "text: prompt = a dog
")
require("${info}" "text: seed = 2
")
glide_run(2 out upsample --from "${small}" -o "${WORK_DIR}/x.png")
require("${out}" "made by `glide generate`, which `glide upsample --from` cannot make again")
glide_run(2 out upsample -p "a cat" ${up} -o "${WORK_DIR}/x.png")
require("${out}" "--input is required")
if(EXISTS "${WORK_DIR}/x.png")
  message(FATAL_ERROR "a refused command wrote x.png")
endif()
message("cli_upsample: all steps passed")
