# Script mode (cmake -P) for the cli_convert test. GLIDE: the glide program; GOLDENS: the goldens
# folder (read in place); WORK_DIR: a scratch folder in the build tree; PYTHON (may be empty) and
# LAYOUT_CHECK: an interpreter and tests/tools/check_torch_save_layout.py.

include("${CMAKE_CURRENT_LIST_DIR}/run_cli_helpers.cmake")
set(model "${GOLDENS}/model_text2im.pt")
set(converted "${WORK_DIR}/model_text2im.safetensors")

# .pt → .safetensors keeps every tensor and its float32 dtype.
glide_run(ok out convert "${model}" "${converted}")
require("${out}" "183 tensors, 2484198 parameters, dtypes kept")
glide_run(ok info info "${converted}")
require("${info}" "format: safetensors\ntensors: 183\nparameters: 2,484,198\n")
require("${info}" "metadata: glide.source_format = torch-zip\n")
require("${info}" "metadata: glide.source_file = model_text2im.pt\n")
require("${info}" "float32")
forbid("${info}" "float16|bfloat16")

# An existing output is refused, and left alone.
file(SHA256 "${converted}" before)
glide_run(fail out convert "${model}" "${converted}" --dtype float16)
require("${out}" "already exists; refusing to overwrite it \\(pass --overwrite\\)")
file(SHA256 "${converted}" after)
if(NOT before STREQUAL after)
  message(FATAL_ERROR "a refused conversion changed ${converted}")
endif()

# .safetensors → .safetensors as bfloat16; the source's metadata is carried over.
set(bf16 "${WORK_DIR}/model_text2im-bf16.safetensors")
glide_run(ok out convert "${converted}" "${bf16}" --dtype bfloat16)
require("${out}" "183 tensors, 2484198 parameters, 183 floating-point tensors cast to bfloat16")
glide_run(ok info info "${bf16}")
require("${info}" "tensors: 183\nparameters: 2,484,198\n")
require("${info}" "metadata: glide.dtype = bfloat16\n")
require("${info}" "metadata: glide.source_format = safetensors\n")
require("${info}" "metadata: glide.source_file = model_text2im.safetensors\n")
forbid("${info}" "  float32  ")

# --overwrite replaces the file, here with float16.
glide_run(ok out convert "${model}" "${converted}" --dtype float16 --overwrite)
glide_run(ok info info "${converted}")
require("${info}" "  float16  ")
forbid("${info}" "  float32  ")

# Tensors that are not floating point keep their dtype.
if(EXISTS "${GOLDENS}/forward_text2im.pt")
  set(forward "${WORK_DIR}/forward_text2im.safetensors")
  glide_run(ok info info "${GOLDENS}/forward_text2im.pt")
  string(REGEX MATCHALL "  (int64|bool)  " non_float "${info}")
  list(LENGTH non_float expected_count)
  glide_run(ok out convert "${GOLDENS}/forward_text2im.pt" "${forward}" --dtype float16)
  glide_run(ok info info "${forward}")
  string(REGEX MATCHALL "  (int64|bool)  " kept "${info}")
  list(LENGTH kept kept_count)
  if(expected_count EQUAL 0 OR NOT kept_count EQUAL expected_count)
    message(FATAL_ERROR "expected ${expected_count} (> 0) int64/bool tensors kept, found "
                        "${kept_count}:\n${info}")
  endif()
endif()

# .safetensors → .pt: the same tensors in the same order as the golden torch.save file, and the
# result converts back. The float32 copy above was replaced, so convert the golden again.
set(st32 "${WORK_DIR}/model_text2im-f32.safetensors")
set(roundtrip "${WORK_DIR}/model_text2im-roundtrip.pt")
glide_run(ok out convert "${model}" "${st32}")
glide_run(ok out convert "${st32}" "${roundtrip}")
require("${out}" "wrote .*model_text2im-roundtrip.pt: 183 tensors, 2484198 parameters, dtypes kept")
require("${out}" "note: .pt files hold no metadata")
glide_run(ok info_golden info "${model}")
glide_run(ok info_roundtrip info "${roundtrip}")
# Everything but the file name must agree: format, counts, and each tensor's name, dtype, shape.
string(REGEX REPLACE "^file: [^\n]*\n" "" info_golden "${info_golden}")
string(REGEX REPLACE "^file: [^\n]*\n" "" info_roundtrip "${info_roundtrip}")
require("${info_roundtrip}" "format: torch-zip\ntensors: 183\n")
if(NOT info_golden STREQUAL info_roundtrip)
  message(FATAL_ERROR "glide info differs between ${model} and ${roundtrip}:\n"
                      "${info_golden}\n---\n${info_roundtrip}")
endif()
if(PYTHON)
  execute_process(COMMAND "${PYTHON}" "${LAYOUT_CHECK}" "${model}" "${roundtrip}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "Python's zipfile and pickle disagree with ${roundtrip}:\n${out}\n${err}")
  endif()
  message("${out}")
else()
  message("cli_convert: no Python interpreter; the Python layout check was skipped")
endif()
# A value float16 cannot hold would become infinity (every image NaN): refused, naming it.
if(PYTHON)
  set(big "${WORK_DIR}/big-values.safetensors")
  execute_process(COMMAND "${PYTHON}" -c "import json, struct, sys
header = json.dumps({'w': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]}}).encode()
open(sys.argv[1], 'wb').write(struct.pack('<Q', len(header)) + header + struct.pack('<2f', 1.0, 1e6))"
                  "${big}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "could not write ${big}")
  endif()
  glide_run(2 out convert "${big}" "${WORK_DIR}/big-f16.safetensors" --dtype float16)
  require("${out}" "'w' has 1 value beyond float16's range \\(the largest magnitude is 1000000\\)")
  glide_run(ok out convert "${big}" "${WORK_DIR}/big-bf16.safetensors" --dtype bfloat16)
endif()
# .pt → .pth with a dtype, then back to .safetensors: the values survive both directions.
set(half_pth "${WORK_DIR}/model_text2im-f16.pth")
glide_run(ok out convert "${model}" "${half_pth}" --dtype float16)
require("${out}" "183 floating-point tensors cast to float16")
glide_run(ok info info "${half_pth}")
require("${info}" "format: torch-zip\n")
forbid("${info}" "  float32  ")
glide_run(ok out convert "${half_pth}" "${WORK_DIR}/model_text2im-f16.safetensors")
file(SHA256 "${roundtrip}" before)
glide_run(fail out convert "${st32}" "${roundtrip}")
require("${out}" "already exists; refusing to overwrite it \\(pass --overwrite\\)")
file(SHA256 "${roundtrip}" after)
if(NOT before STREQUAL after)
  message(FATAL_ERROR "a refused conversion changed ${roundtrip}")
endif()

# Any other extension is a command line to change (status 2) that names the formats, and writes
# nothing.
glide_run(2 out convert "${model}" "${WORK_DIR}/model.bin")
require("${out}" "expected .pt or .pth \\(what torch.save writes\\) or .safetensors, got '.bin'")
glide_run(2 out convert "${converted}" "${WORK_DIR}/model")
require("${out}" "got no extension")
# A name that is only the extension would be a hidden file of no name.
glide_run(2 out convert "${converted}" "${WORK_DIR}/.safetensors")
require("${out}" "is only an extension, which would make a hidden file")
if(EXISTS "${WORK_DIR}/model.bin" OR EXISTS "${WORK_DIR}/model" OR EXISTS "${WORK_DIR}/.safetensors")
  message(FATAL_ERROR "a refused conversion wrote a file")
endif()

# Bad dtypes and missing inputs are errors.
glide_run(fail out convert "${model}" "${WORK_DIR}/x.safetensors" --dtype int8)
glide_run(fail out convert "${WORK_DIR}/missing.pt" "${WORK_DIR}/y.safetensors")
require("${out}" "missing.pt")
file(GLOB leftovers "${WORK_DIR}/*.tmp-*")
if(leftovers)
  message(FATAL_ERROR "temporary files left behind: ${leftovers}")
endif()
message("cli_convert: all steps passed")
