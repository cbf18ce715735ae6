# Script mode (cmake -P) for the cli_sweep test: `glide sweep` on the golden tiny models.
cmake_minimum_required(VERSION 3.18)  # the project's policies (CMP0007 keeps empty CSV fields)
include("${CMAKE_CURRENT_LIST_DIR}/run_cli_helpers.cmake")
require_goldens(have model_text2im.pt model_superres.pt model_inpaint.pt models.json)
if(NOT have)
  return()
endif()
golden_pipeline_flags(models)
set(quick --base-steps 4 --upsampler-steps 4)

# 2 rows (guidance scale) x 4 columns (sampler x seed) = 8 cells.
set(sheet "${WORK_DIR}/sheet.png")
set(csv "${WORK_DIR}/sheet.csv")
glide_run(ok out sweep -p "a green cube" ${models} ${quick} --vary guidance_scale=1,4
          --vary base.sampler=ddpm,ddim --vary seed=0,1 -o "${sheet}")
require("${out}" "wrote .*sheet.png \\(2 rows x 4 columns\\) and .*sheet.csv")
require("${out}" "cell 1/8")
require("${out}" "cell 8/8: base.guidance_scale=4 base.sampler=ddim seed=1")
glide_run(ok info info "${sheet}")
require("${info}" "text: glide_command = sweep\n")
require("${info}" "\"axes\":\\[\\{\"field\":\"base.guidance_scale\",\"values\":\\[\"1\",\"4\"\\]\\}")

# The CSV: a header and one row per cell, every row as wide as the header; the cells in row order,
# the last axis changing fastest.
file(STRINGS "${csv}" lines)
list(LENGTH lines line_count)
if(NOT line_count EQUAL 9)
  message(FATAL_ERROR "expected 9 CSV lines (header + 8 cells), got ${line_count}")
endif()
list(GET lines 0 header)
string(REPLACE "," ";" header "${header}")
list(LENGTH header header_width)
foreach(name cell row column prompt seed base.sampler base.guidance_scale seconds mean_r
        mean_luminance contrast saturation sharpness width height)
  list(FIND header ${name} at)
  if(at LESS 0)
    message(FATAL_ERROR "the CSV header has no column ${name}: ${header}")
  endif()
  set(col_${name} ${at})
endforeach()
set(expected_cells "0,0,0,1,ddpm,0" "1,0,1,1,ddpm,1" "2,0,2,1,ddim,0" "3,0,3,1,ddim,1"
                   "4,1,0,4,ddpm,0" "5,1,1,4,ddpm,1" "6,1,2,4,ddim,0" "7,1,3,4,ddim,1")
foreach(i RANGE 1 8)
  list(GET lines ${i} line)
  string(REPLACE "," ";" fields "${line}")
  list(LENGTH fields n)
  if(NOT n EQUAL header_width)
    message(FATAL_ERROR "CSV line ${i} has ${n} fields, the header ${header_width}: ${line}")
  endif()
  set(got "")
  foreach(name cell row column base.guidance_scale base.sampler seed)
    list(GET fields ${col_${name}} v)
    list(APPEND got "${v}")
  endforeach()
  string(REPLACE ";" "," got "${got}")
  math(EXPR k "${i} - 1")
  list(GET expected_cells ${k} want)
  if(NOT got STREQUAL want)
    message(FATAL_ERROR "CSV line ${i}: expected cell,row,column,scale,sampler,seed = ${want}, "
                        "got ${got}")
  endif()
  list(GET fields ${col_prompt} prompt)
  list(GET fields ${col_width} w)
  list(GET fields ${col_contrast} contrast)
  list(GET fields ${col_seconds} seconds)
  if(NOT prompt STREQUAL "a green cube" OR NOT w EQUAL 32 OR NOT contrast MATCHES "^[0-9.e+-]+$"
     OR NOT seconds MATCHES "^[0-9]+\\.[0-9][0-9][0-9]$")
    message(FATAL_ERROR "CSV line ${i} has unexpected values: ${line}")
  endif()
endforeach()

# Existing outputs are refused and kept.
file(SHA256 "${csv}" before)
glide_run(1 out sweep -p "x" ${models} ${quick} --vary seed=0,1 -o "${sheet}")
require("${out}" "already exists")
file(SHA256 "${csv}" after)
if(NOT before STREQUAL after)
  message(FATAL_ERROR "a refused sweep changed ${csv}")
endif()

# The sheet and the CSV in one file: refused before any work, even with --overwrite (the CSV
# used to replace the sheet), and a sheet named .csv (its CSV's default name is itself).
file(SHA256 "${sheet}" before)
glide_run(2 out sweep -p "x" ${models} ${quick} --vary seed=0,1 -o "${sheet}" --csv "${sheet}"
          --overwrite)
require("${out}" "name the same file")
file(SHA256 "${sheet}" after)
if(NOT before STREQUAL after)
  message(FATAL_ERROR "a refused sweep changed ${sheet}")
endif()
glide_run(2 out sweep -p "x" ${models} ${quick} --vary seed=0,1 -o "${WORK_DIR}/named.csv")
require("${out}" "glide writes PNG images; give a name that ends in .png")
if(EXISTS "${WORK_DIR}/named.csv")
  message(FATAL_ERROR "a refused sweep wrote named.csv")
endif()

# One axis, a respacing with a comma (quoted in the CSV), no upsampling, the CSV named apart.
# (The ';' separator is tested in test_cli_params.cpp: CMake lists cannot pass it here.)
glide_run(ok out sweep -p "x" ${models} --base-steps 2,2 --no-upsample --quiet
          --vary seed=0,1,2 -o "${WORK_DIR}/steps.png" --csv "${WORK_DIR}/s.csv")
file(STRINGS "${WORK_DIR}/s.csv" lines)
list(LENGTH lines line_count)
if(NOT line_count EQUAL 4)
  message(FATAL_ERROR "expected 4 CSV lines, got ${line_count}")
endif()
list(GET lines 1 first)
require("${first}" ",\"2,2\",")

# Bad axes and bad values in a cell: status 2 before any work.
glide_run(2 out sweep -p "x" ${models} --vary guidance=1,2 -o "${WORK_DIR}/bad.png")
require("${out}" "--vary guidance=1,2: unknown parameter \"guidance\"")
glide_run(2 out sweep -p "x" ${models} --vary guidance_scale=-1,2 -o "${WORK_DIR}/bad.png")
require("${out}" "cell 1 \\(base.guidance_scale=-1\\): --vary guidance_scale=-1,2: base.guidance_scale is -1")
# A flag no cell can use is named alone; one that only some cells cannot use, with the cell.
glide_run(2 out sweep -p "x" ${models} --vary guidance_scale=1,2 --base-sampler bogus
          -o "${WORK_DIR}/bad.png")
require("${out}" "error: --base-sampler: base.sampler is \"bogus\"")
glide_run(2 out sweep -p "x" ${models} --vary base.sampler=ddim,ddpm --base-eta 0.5
          -o "${WORK_DIR}/bad.png")
require("${out}" "cell 2 \\(base.sampler=ddpm\\): --base-eta: base.eta is 0.5")
glide_run(2 out sweep -p "x" ${models} --vary seed=1 --vary eta=0 --vary temperature=1
          --vary sampler=ddim -o "${WORK_DIR}/bad.png")
require("${out}" "1 to 3 --vary axes")
if(EXISTS "${WORK_DIR}/bad.png")
  message(FATAL_ERROR "a refused sweep wrote bad.png")
endif()
# A cell whose sampling diverges (NaN at a huge temperature) is a finding, not the end of the
# sweep: crossed out on the sheet, its reason in the CSV's error column, listed in the record.
glide_run(ok out sweep -p "x" ${models} --base-steps 2 --no-upsample --vary temperature=1,1e300
          -o "${WORK_DIR}/diverge.png")
require("${out}" "cell 2/2: base.temperature=1e300 made no image: stage base: .*NaN or infinity")
require("${out}" "1 of 2 cells made no image")
file(STRINGS "${WORK_DIR}/diverge.csv" lines)
list(GET lines 1 good)
list(GET lines 2 bad)
require("${good}" ",16,16,$")
require("${bad}" ",,,,,,,,16,16,\"stage base: image 0 of the batch came out as NaN")
glide_run(ok info info "${WORK_DIR}/diverge.png")
require("${info}" "\"failed_cells\":\\[1\\]")

# --skip-invalid crosses out the combinations that are refused (ddpm takes no eta) and makes
# the rest; the record holds the first cell that is valid, here the second.
glide_run(ok out sweep -p "x" ${models} --base-steps 2 --no-upsample --vary base.eta=0.5,0
          --vary base.sampler=ddpm,ddim --skip-invalid -o "${WORK_DIR}/skip.png")
require("${out}" "cell 1/4: base.eta=0.5 base.sampler=ddpm made no image: refused: --vary base.eta=0.5,0: "
                 "base.eta is 0.5 with sampler \"ddpm\"")
require("${out}" "1 of 4 cells made no image")
file(STRINGS "${WORK_DIR}/skip.csv" lines)
list(GET lines 1 refused)
list(GET lines 2 made)
require("${refused}" ",,,,,,,,16,16,\"refused: --vary base.eta=0.5,0: base.eta is 0.5")
require("${made}" ",16,16,$")
glide_run(ok info info "${WORK_DIR}/skip.png")
require("${info}" "\"failed_cells\":\\[0\\]")
require("${info}" "text: base.sampler = ddim\n")
require("${info}" "text: base.eta = 0.5\n")
glide_run(2 out sweep -p "x" ${models} --base-steps 2 --no-upsample --vary base.eta=0.5,0.7
          --vary base.sampler=ddpm,heun --skip-invalid -o "${WORK_DIR}/none.png")
require("${out}" "every cell is refused; the first: cell 1 \\(base.eta=0.5 base.sampler=ddpm\\)")
# Every cell refused, each for its own value: no cell is to blame, and --skip-invalid is no help.
glide_run(2 out sweep -p "x" ${models} --base-steps 2 --no-upsample --vary base.eta=0.5,0.7
          -o "${WORK_DIR}/none.png")
require("${out}" "error: every cell is refused; the first: cell 1 \\(base.eta=0.5\\)")
forbid("${out}" "skip-invalid")
glide_run(2 out sweep -p "x" ${models} --base-steps 2 --no-upsample --vary base.eta=0.5,0
          --vary base.sampler=ddpm,ddim -o "${WORK_DIR}/none.png")
require("${out}" "\\(--skip-invalid crosses such cells out\\)")
if(EXISTS "${WORK_DIR}/none.png")
  message(FATAL_ERROR "a refused sweep wrote none.png")
endif()

# Divergence in an upsampling cell's base stage: its place is the upsampler's size.
glide_run(ok out sweep -p "x" ${models} --base-steps 2 --upsampler-steps 2 --vary upsample=false,true
          --vary temperature=1e300 -o "${WORK_DIR}/diverge-up.png" --quiet)
file(STRINGS "${WORK_DIR}/diverge-up.csv" lines)
list(GET lines 1 small)
list(GET lines 2 large)
require("${small}" ",,,,,,,,16,16,\"stage base: ")
require("${large}" ",,,,,,,,32,32,\"stage base: ")
# A model of the wrong kind is refused before any work, saying why the cells inpaint.
golden_config(inpaint_config inpaint)
golden_config(up_inpaint_config superres_inpaint)
set(inpaint_models --model "${GOLDENS}/model_inpaint.pt" --model-config "${inpaint_config}"
    --upsampler-model "${GOLDENS}/model_superres_inpaint.pt"
    --upsampler-model-config "${up_inpaint_config}")
set(input "${WORK_DIR}/input.png")
set(mask "${SOURCE_DIR}/tests/data/mask_left_half.png")
glide_run(ok out generate -p "a house" ${models} --no-upsample --base-steps 2 --quiet -o "${input}")
glide_run(2 out sweep -p "x" --input "${input}" --mask "${mask}" ${models} --base-steps 2
          --upsampler-steps 2 --vary seed=1,2 -o "${WORK_DIR}/inpaint.png")
require("${out}" "the base model [^\n]*model_text2im.pt is not one")
golden_config(up_config superres)
glide_run(2 out sweep -p "x" --input "${input}" --mask "${mask}" --model "${GOLDENS}/model_inpaint.pt"
          --model-config "${inpaint_config}" --upsampler-model "${GOLDENS}/model_superres.pt"
          --upsampler-model-config "${up_config}" --base-steps 2 --upsampler-steps 2
          --vary seed=1,2 -o "${WORK_DIR}/inpaint.png")
require("${out}" "--input and --mask make every cell inpaint, .*the upsampler model [^\n]*model_superres.pt is not one")
if(EXISTS "${WORK_DIR}/inpaint.png")
  message(FATAL_ERROR "a failed sweep wrote inpaint.png")
endif()

# An inpainting sweep: --input and --mask make every cell inpaint (the upsampler then samples
# with DDPM, as in glide inpaint). Its sheet records the input and the mask, so `glide inpaint
# --from` makes its first cell again: the same file as inpainting with that cell's flags.
glide_run(ok out sweep -p "a door" --input "${input}" --mask "${mask}" ${inpaint_models}
          --base-steps 2 --upsampler-steps 2 --vary guidance_scale=1,4 --vary upsample=false,true
          -o "${WORK_DIR}/inpainting.png")
require("${out}" "cell 1/4 inpaint: ")
require("${out}" "cell 2/4 upsampler-inpaint: ")
glide_run(ok info info "${WORK_DIR}/inpainting.png")
require("${info}" "text: upsampler.sampler = ddpm\n")
require("${info}" "text: input = [^\n]*input.png\n")
file(STRINGS "${WORK_DIR}/inpainting.csv" lines)
list(GET lines 4 last)
require("${last}" "^3,1,1,a door,.*,32,32,$")
glide_run(ok out inpaint --input "${input}" --mask "${mask}" -p "a door" ${inpaint_models}
          --base-steps 2 --upsampler-steps 2 --guidance-scale 1 --no-upsample --quiet
          -o "${WORK_DIR}/cell1.png")
glide_run(ok out inpaint --from "${WORK_DIR}/inpainting.png" --quiet -o "${WORK_DIR}/again.png")
require_same_file("${WORK_DIR}/cell1.png" "${WORK_DIR}/again.png")
glide_run(2 out generate --from "${WORK_DIR}/inpainting.png" -o "${WORK_DIR}/x.png")
require("${out}" "made by `glide sweep` \\(inpainting\\), which `glide generate --from` cannot make "
                 "again; use `glide inpaint --from")
# A sweep from an inpainted image (or an inpainting sweep) inpaints its input and mask again.
glide_run(ok out sweep --from "${WORK_DIR}/cell1.png" --vary seed=1,2 --quiet
          -o "${WORK_DIR}/from-inpainted.png")
glide_run(2 out sweep --from "${WORK_DIR}/cell1.png" ${models} --vary seed=1,2
          -o "${WORK_DIR}/x.png")
require("${out}" "the record of [^\n]*cell1.png names an input and a mask, so every cell inpaints")
glide_run(ok info info "${WORK_DIR}/from-inpainted.png")
require("${info}" "text: mask = [^\n]*mask_left_half.png\n")
# Half an inpainting, or inpainting models without an image to edit, is refused before any work.
glide_run(2 out sweep -p "x" --input "${input}" ${inpaint_models} --vary seed=1,2
          -o "${WORK_DIR}/x.png")
require("${out}" "--mask is required with --input")
glide_run(2 out sweep -p "x" ${inpaint_models} --vary seed=1,2 -o "${WORK_DIR}/x.png")
require("${out}" "is an inpainting model: give --input and --mask to sweep inpainting")
if(EXISTS "${WORK_DIR}/x.png")
  message(FATAL_ERROR "a refused sweep wrote x.png")
endif()

# Flags an axis replaces, or that no cell reads, get a note; an axis no cell reads is refused.
glide_run(ok out sweep -p "x" ${models} --base-steps 2 --no-upsample --guidance-scale 5
          --upsampler-steps 3 --vary guidance_scale=1,3 -o "${WORK_DIR}/notes.png" --quiet)
require("${out}" "note: --base-guidance-scale/--guidance-scale has no effect: --vary "
                 "guidance_scale=1,3 sets it in every cell")
require("${out}" "note: --upsampler-steps has no effect: the upsampler does not run")
# The record holds the first cell's parameters: generate --from the sheet makes that cell.
glide_run(ok info info "${WORK_DIR}/notes.png")
require("${info}" "text: base.guidance_scale = 1\n")
glide_run(2 out sweep -p "x" ${models} --base-steps 2 --no-base-guided --vary guidance_scale=1,3
          -o "${WORK_DIR}/none.png")
require("${out}" "--vary guidance_scale=1,3 would change nothing in any cell: the base stage is "
                 "unguided")

# A prompt axis replaces the prompts of --from, however many the image had.
glide_run(ok out generate ${models} --no-upsample --base-steps 2 -p a -p b -n 2 --grid --quiet
          -o "${WORK_DIR}/two.png")
glide_run(ok out sweep --from "${WORK_DIR}/two.png" --vary prompt=x,y --quiet
          -o "${WORK_DIR}/from-two.png")
# --csv - writes the CSV to standard output (for a pipe); the sheet still goes to its file.
glide_run_stdout(ok csv_out all sweep -p "x" ${models} --base-steps 2 --no-upsample --quiet
                 --vary seed=0,1 -o "${WORK_DIR}/piped.png" --csv -)
require("${csv_out}" "^cell,row,column,prompt,.*,error\n0,0,0,x,.*\n1,1,0,x,")
if(NOT all STREQUAL csv_out)  # --quiet: the 'wrote' report goes to stderr, and -q silences it
  string(REPLACE "${csv_out}" "" stderr_text "${all}")
  message(FATAL_ERROR "--quiet --csv - printed on stderr: ${stderr_text}")
endif()
if(NOT EXISTS "${WORK_DIR}/piped.png" OR EXISTS "${WORK_DIR}/-")
  message(FATAL_ERROR "--csv - should write piped.png and no file named -")
endif()
message("cli_sweep: all steps passed")
