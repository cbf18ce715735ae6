# Script mode (cmake -P) for the cli_inpaint test: `glide inpaint` on the golden tiny inpainting
# models with tests/data/mask_left_half.png (left half kept, right half redrawn).
cmake_minimum_required(VERSION 3.18)  # the project's policies (CMP0007 keeps empty CSV fields)
include("${CMAKE_CURRENT_LIST_DIR}/run_cli_helpers.cmake")
require_goldens(have model_text2im.pt model_inpaint.pt model_superres_inpaint.pt models.json)
if(NOT have)
  return()
endif()
golden_config(text2im_config text2im)
golden_config(base_config inpaint)
golden_config(up_config superres_inpaint)
set(mask "${SOURCE_DIR}/tests/data/mask_left_half.png")

set(input "${WORK_DIR}/input.png")
glide_run(ok out generate -p "a house" --no-upsample --base-steps 4 --quiet -o "${input}"
          --model "${GOLDENS}/model_text2im.pt" --model-config "${text2im_config}")
set(models --model "${GOLDENS}/model_inpaint.pt" --model-config "${base_config}"
           --upsampler-model "${GOLDENS}/model_superres_inpaint.pt"
           --upsampler-model-config "${up_config}")
glide_run(ok out inpaint --input "${input}" --mask "${mask}" -p "a door" ${models}
          --base-steps 4 --upsampler-steps 4 --quiet)
require("${out}" "wrote .*input-inpainted.png")
glide_run(ok info info "${WORK_DIR}/input-inpainted.png")
require("${info}" "size: 32x32\n")
require("${info}" "text: glide_command = inpaint\n")
require("${info}" "text: prompt = a door\n")
require("${info}" "text: upsampler.sampler = ddpm\n")  # GLIDE's inpainting notebook's default
file(SHA256 "${mask}" mask_sha)
require("${info}" "text: mask_sha256 = ${mask_sha}\n")
require("${info}" "text: input = [^\n]*input.png\n")

# Base stage only, a batch of two.
glide_run(ok out inpaint --input "${input}" --mask "${mask}" -p "a door" ${models} -n 2
          --no-upsample --base-steps 4 --quiet -o "${WORK_DIR}/b.png")
glide_run(ok info info "${WORK_DIR}/b-1.png")
require("${info}" "size: 16x16\n")
require("${info}" "text: seed = 1\n")

# The inpainting models are required: no default pair holds them; a text-to-image model is
# refused.
glide_run(2 out inpaint --input "${input}" --mask "${mask}" -p "a door" -o "${WORK_DIR}/x.png")
require("${out}" "--model is required")
glide_run(1 out inpaint --input "${input}" --mask "${mask}" -p "a door" --no-upsample
          --model "${GOLDENS}/model_text2im.pt" --model-config "${text2im_config}"
          -o "${WORK_DIR}/x.png")
require("${out}" "inpaint")

# A mask that keeps everything redraws nothing: a note says so.
glide_run(ok out inpaint --input "${input}" --mask "${SOURCE_DIR}/tests/data/mask_all_keep.png"
          -p "a door" ${models} --base-steps 2 --no-upsample -o "${WORK_DIR}/kept.png")
require("${out}" "glide: note: the mask .*mask_all_keep.png has no black pixel")
glide_run(ok out inpaint --input "${input}" --mask "${mask}" -p "a door" ${models}
          --base-steps 2 --no-upsample -o "${WORK_DIR}/half.png")
forbid("${out}" "has no black pixel")
# A mask of another shape (16x8 for a 16x16 input) would be stretched over another region.
glide_run(1 out inpaint --input "${input}" --mask "${SOURCE_DIR}/tests/data/mask_wide.png"
          -p "a door" ${models} --no-upsample --base-steps 4 --quiet -o "${WORK_DIR}/x.png")
require("${out}" "mask is 8x16 \\(H x W\\) but image is 16x16")
# `glide inpaint --from` remakes an inpainted image from its record: the parameters, models,
# input and mask it names (the same file: the same pixels and records); a flag overrides.
set(inpainted "${WORK_DIR}/input-inpainted.png")
glide_run(ok out inpaint --from "${inpainted}" -o "${WORK_DIR}/again.png" --quiet)
require_same_file("${inpainted}" "${WORK_DIR}/again.png")
glide_run(ok out inpaint --from "${inpainted}" --seed 3 -o "${WORK_DIR}/seed3.png" --quiet)
glide_run(ok info info "${WORK_DIR}/seed3.png")
require("${info}" "text: seed = 3
")
require("${info}" "text: prompt = a door
")
# A changed input is noted; a missing one names the flag that replaces it.
set(moved "${WORK_DIR}/moved")
file(MAKE_DIRECTORY "${moved}")
configure_file("${input}" "${moved}/input.png" COPYONLY)
glide_run(ok out inpaint --input "${moved}/input.png" --mask "${mask}" -p "a door" ${models}
          --base-steps 2 --no-upsample --quiet -o "${moved}/made.png")
configure_file("${WORK_DIR}/half.png" "${moved}/input.png" COPYONLY)
glide_run(ok out inpaint --from "${moved}/made.png" -o "${moved}/changed.png")
require("${out}" "glide: note: input '[^']*moved/input.png' is not the file the image was made from")
file(REMOVE "${moved}/input.png")
glide_run(2 out inpaint --from "${moved}/made.png" -o "${moved}/x.png")
require("${out}" "the input it was made from, '[^']*moved/input.png', is gone; give --input")
# Each command remakes its own images only.
glide_run(2 out generate --from "${inpainted}" -o "${WORK_DIR}/x.png")
require("${out}" "made by `glide inpaint`, which `glide generate --from` cannot make again; use `glide inpaint --from")
glide_run(2 out inpaint --from "${input}" -o "${WORK_DIR}/x.png")
require("${out}" "made by `glide generate`, which `glide inpaint --from` cannot make again; use `glide generate --from")
glide_run(2 out inpaint -p "a door" ${models} -o "${WORK_DIR}/x.png")
require("${out}" "--input is required \\(or --from an image glide inpainted\\)")
if(EXISTS "${WORK_DIR}/x.png" OR EXISTS "${moved}/x.png")
  message(FATAL_ERROR "a refused command wrote x.png")
endif()
message("cli_inpaint: all steps passed")
