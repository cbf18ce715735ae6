# Script mode (cmake -P) for the cli_generate test: `glide generate` on the golden tiny models.
cmake_minimum_required(VERSION 3.18)  # the project's policies (CMP0007 keeps empty CSV fields)
include("${CMAKE_CURRENT_LIST_DIR}/run_cli_helpers.cmake")
require_goldens(have model_text2im.pt model_superres.pt models.json)
if(NOT have)
  return()
endif()
golden_pipeline_flags(models)
set(quick --base-steps 4 --upsampler-steps 4 --quiet)

# One image: 16x16 base, 32x32 upsampled, every parameter and both models in text chunks.
set(a "${WORK_DIR}/a.png")
glide_run(ok out generate -p "a red cube" --seed 3 ${models} ${quick} -o "${a}")
require("${out}" "wrote .*a.png \\(seed 3\\)")
glide_run(ok info info "${a}")
require("${info}" "size: 32x32\n")
require("${info}" "text: prompt = a red cube\n")
require("${info}" "text: seed = 3\n")
require("${info}" "text: negative_prompt = \n")
require("${info}" "text: base.respacing = 4\n")
require("${info}" "text: base.guidance_scale = 3\n")
require("${info}" "text: upsampler.respacing = 4\n")
require("${info}" "text: upsampler.temperature = 0.997\n")
require("${info}" "text: dtype = float32\n")
require("${info}" "text: glide_command = generate\n")
require("${info}" "text: glide_version = [0-9]+\\.[0-9]+\\.[0-9]+\n")
require("${info}" "text: model = [^\n]*model_text2im.pt\n")
file(SHA256 "${GOLDENS}/model_text2im.pt" base_sha)
file(SHA256 "${GOLDENS}/model_superres.pt" up_sha)
require("${info}" "text: model_sha256 = ${base_sha}\n")
require("${info}" "text: upsampler_model_sha256 = ${up_sha}\n")
require("${info}" "text: glide_parameters = \\{[^\n]*\"parameters\"")

# An existing file is refused and left alone; --overwrite replaces it.
file(SHA256 "${a}" before)
glide_run(1 out generate -p "a blue cube" --seed 4 ${models} ${quick} -o "${a}")
require("${out}" "already exists; refusing to overwrite it \\(pass --overwrite\\)")
file(SHA256 "${a}" after)
if(NOT before STREQUAL after)
  message(FATAL_ERROR "a refused generation changed ${a}")
endif()
# --overwrite writes through a symlink (the link stays a link); a read-only file and a folder are
# refused before any work; -o must name a .png file.
set(target "${WORK_DIR}/target.png")
configure_file("${a}" "${target}" COPYONLY)
file(CREATE_LINK "${target}" "${WORK_DIR}/link.png" SYMBOLIC)
glide_run(ok out generate -p "a green cube" --seed 6 ${models} ${quick} -o "${WORK_DIR}/link.png"
          --overwrite)
if(NOT IS_SYMLINK "${WORK_DIR}/link.png")
  message(FATAL_ERROR "--overwrite replaced the symlink link.png instead of its target")
endif()
glide_run(ok info info "${target}")
require("${info}" "text: seed = 6\n")
file(CHMOD "${target}" PERMISSIONS OWNER_READ GROUP_READ WORLD_READ)
glide_run(1 out generate -p "x" ${models} ${quick} -o "${target}" --overwrite)
require("${out}" "target.png' is read-only; refusing to replace it")
file(MAKE_DIRECTORY "${WORK_DIR}/folder.png")
glide_run(1 out generate -p "x" ${models} ${quick} -o "${WORK_DIR}/folder.png" --overwrite)
require("${out}" "folder.png': it is a folder")
glide_run(2 out generate -p "x" ${models} ${quick} -o "${WORK_DIR}/x.jpg")
require("${out}" "x.jpg': glide writes PNG images; give a name that ends in .png")

set(a2 "${WORK_DIR}/a2.png")
configure_file("${a}" "${a2}" COPYONLY)
glide_run(ok out generate -p "a blue cube" --seed 4 ${models} ${quick} -o "${a2}" --overwrite)
glide_run(ok info info "${a2}")
require("${info}" "text: seed = 4\n")

# --from alone (the recorded models and configs included) makes the same file: the same pixels
# and the same records. A flag given with it overrides the recorded value.
set(b "${WORK_DIR}/b.png")
glide_run(ok out generate --from "${a}" -o "${b}" --quiet)
require_same_file("${a}" "${b}")
set(c "${WORK_DIR}/c.png")
glide_run(ok out generate --from "${a}" --seed 5 -o "${c}" --quiet)
glide_run(ok info info "${c}")
require("${info}" "text: seed = 5\n")
require("${info}" "text: prompt = a red cube\n")
require("${info}" "text: base.respacing = 4\n")

# A prompt longer than the models' text context (16 tokens here) gets a note, shortened.
string(REPEAT "cat " 40 long_prompt)
glide_run(ok out generate -p "${long_prompt}" ${models} ${quick} -o "${WORK_DIR}/long.png")
require("${out}" "glide: note: the prompt \"cat cat [a-z ]*\\.\\.\\.\" has 41 tokens; the model reads only the first 16 ")

# A batch: one file per image with that image's prompt and seed; --grid makes one sheet.
glide_run(ok out generate -n 2 -p "one" -p "two" --seed 10 ${models} ${quick}
          -o "${WORK_DIR}/batch.png")
glide_run(ok info info "${WORK_DIR}/batch-1.png")
require("${info}" "text: prompt = two\n")
require("${info}" "text: seed = 11\n")
require("${info}" "text: batch_size = 1\n")
# Several prompts without --batch-size make one image each; with it, they must match its count.
glide_run(ok out generate -p "one" -p "two" --seed 10 ${models} ${quick}
          -o "${WORK_DIR}/inferred.png")
require_same_file("${WORK_DIR}/batch-1.png" "${WORK_DIR}/inferred-1.png")
glide_run(2 out generate -n 3 -p "one" -p "two" ${models} ${quick} -o "${WORK_DIR}/three.png")
require("${out}" "prompts has 2 entries but batch_size is 3")
set(many_prompts "")
foreach(i RANGE 256)  # 257 prompts: one more than a batch holds
  list(APPEND many_prompts -p "p${i}")
endforeach()
glide_run(2 out generate ${many_prompts} ${models} ${quick} -o "${WORK_DIR}/many.png")
require("${out}" "--prompt is given 257 times; a batch makes at most 256 images")
glide_run(ok out generate -n 4 -p "four" ${models} ${quick} --grid -o "${WORK_DIR}/grid.png")
glide_run(ok info info "${WORK_DIR}/grid.png")
require("${info}" "size: 70x70\n")  # 2x2 images of 32 with 2 pixels between and around
require("${info}" "text: batch_size = 4\n")

# --no-upsample keeps the base image and records no upsampler parameters; bfloat16 runs.
glide_run(ok out generate -p "small" --no-upsample --dtype bfloat16 ${models} ${quick}
          -o "${WORK_DIR}/small.png")
glide_run(ok info info "${WORK_DIR}/small.png")
require("${info}" "size: 16x16\n")
require("${info}" "text: upsample = false\n")
require("${info}" "text: dtype = bfloat16\n")
forbid("${info}" "upsampler\\.|upsampler_model")

# Hyperparameters outside what is allowed: status 2 and one line naming the flag.
foreach(case
    "--guidance-scale;-1;--base-guidance-scale/--guidance-scale: base.guidance_scale is -1"
    "--base-sampler;plms;--base-sampler: base.sampler is \"plms\""
    "--upsampler-steps;2000;--upsampler-steps: upsampler.respacing is \"2000\", impossible"
    "--base-eta;0.5;--base-eta: base.eta is 0.5 with sampler \"ddpm\""
    "--base-guidance-rescale;1.5;--base-guidance-rescale/--guidance-rescale:"
    "--seed;-3;--seed: \"-3\" is not a seed"
    "--batch-size;0;--batch-size: batch_size is 0"
    "--base-temperature;hot;--base-temperature: \"hot\" is not a number")
  list(GET case 0 flag)
  list(GET case 1 value)
  list(GET case 2 message)
  glide_run(2 out generate -p "x" ${models} ${quick} "${flag}=${value}" -o "${WORK_DIR}/bad.png")
  string(REPLACE "." "\\." pattern "^glide: error: ${message}[^\n]*\n$")
  string(REPLACE "(" "\\(" pattern "${pattern}")
  string(REPLACE ")" "\\)" pattern "${pattern}")
  string(REPLACE "+" "\\+" pattern "${pattern}")
  require("${out}" "${pattern}")
endforeach()
glide_run(2 out generate ${models} ${quick} -o "${WORK_DIR}/bad.png")
require("${out}" "--prompt is required")
glide_run(2 out generate -p "x" --dtype float64 -o "${WORK_DIR}/bad.png")
require("${out}" "--dtype")
if(EXISTS "${WORK_DIR}/bad.png")
  message(FATAL_ERROR "a refused generation wrote bad.png")
endif()

# Without --model the shipped pair is looked for; while it is not there, one clean line. A
# $GLIDE_MODEL_DIR without it is the one place searched, even with the pair installed elsewhere.
file(MAKE_DIRECTORY "${WORK_DIR}/no-models")
execute_process(COMMAND ${CMAKE_COMMAND} -E env "GLIDE_MODEL_DIR=${WORK_DIR}/no-models"
                "${GLIDE}" generate -p "x" -o "${WORK_DIR}/default.png"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "expected status 1 without the default models, got ${rc}:\n${out}${err}")
endif()
require("${out}${err}"
        "^glide: error \\(not found\\): no --model given, and the default models [^\n]*GLIDE_MODEL_DIR '[^']*no-models', the one place searched while it is set;[^\n]*\\(--model, --upsampler-model\\)\n$")

# A --model-config naming only diffusion options keeps the checkpoint's model config (a whole
# config would be the full-size preset's, which fits no shapes weights), and a bad value in it is
# refused, naming the file, before the checkpoint is read.
if(EXISTS "${SOURCE_DIR}/models/shapes-base.safetensors")
  set(shapes --model "${SOURCE_DIR}/models/shapes-base.safetensors" --no-upsample --base-steps 3)
  file(WRITE "${WORK_DIR}/linear.json" "{\"noise_schedule\": \"linear\"}")
  glide_run(ok out generate -p "a red circle" ${shapes} --model-config "${WORK_DIR}/linear.json"
            -o "${WORK_DIR}/linear.png")
  file(WRITE "${WORK_DIR}/bogus.json" "{\"noise_schedule\": \"bogus\"}")
  glide_run(1 out generate -p "a red circle" --model "${WORK_DIR}/absent.safetensors"
            --model-config "${WORK_DIR}/bogus.json" -o "${WORK_DIR}/bogus.png")
  require("${out}" "model config '[^']*bogus.json': diffusion config: noise_schedule 'bogus'")
  file(WRITE "${WORK_DIR}/whole.json" "{\"noise_schedule\": \"linear\", \"num_channels\": 192}")
  glide_run(fail out generate -p "a red circle" ${shapes} --model-config "${WORK_DIR}/whole.json"
            -o "${WORK_DIR}/whole.png")
  require("${out}" "the weights do not fit model config '[^']*whole.json': ")
endif()
# Without a model config in the checkpoint either, the message says what the file lacks.
file(WRITE "${WORK_DIR}/prediction.json" "{\"prediction\": \"epsilon\"}")
glide_run(1 out generate -p "a red circle" --model "${GOLDENS}/model_text2im.pt"
          --model-config "${WORK_DIR}/prediction.json" --no-upsample -o "${WORK_DIR}/p.png")
require("${out}" "prediction.json' names only diffusion options; add the model's own")
file(WRITE "${WORK_DIR}/respacing.json" "{\"timestep_respacing\": \"250\"}")
glide_run(fail out generate -p "a red circle" --model "${GOLDENS}/model_text2im.pt"
          --model-config "${WORK_DIR}/respacing.json" --no-upsample -o "${WORK_DIR}/r.png")
require("${out}" "timestep_respacing=\"250\" is not read from a model config")

# A flag given twice takes the last value, so a saved command line takes overrides: the output,
# the model and the thread count here, the first of each never used (no such model file).
golden_config(text2im_config text2im)
glide_run(ok out generate -p "x" --model "${WORK_DIR}/no-such-model.pt" --model "${GOLDENS}/model_text2im.pt"
          --model-config "${text2im_config}" --no-upsample --base-steps 2 --threads 3 --threads 1
          -o "${WORK_DIR}/first.png" -o "${WORK_DIR}/last.png")
require("${out}" "wrote [^\n]*last.png")
if(EXISTS "${WORK_DIR}/first.png" OR NOT EXISTS "${WORK_DIR}/last.png")
  message(FATAL_ERROR "-o given twice should write the last name only")
endif()

glide_run(ok help generate --help)
require("${help}" "--upsampler-temperature")
require("${help}" "--base-guidance-scale,--guidance-scale")
file(GLOB leftovers "${WORK_DIR}/*.tmp-*")
if(leftovers)
  message(FATAL_ERROR "temporary files left behind: ${leftovers}")
endif()
message("cli_generate: all steps passed")
