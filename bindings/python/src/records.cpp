// The Pipeline methods' save=: images written as the command line writes them, each PNG holding
// the record that makes it again (src/pipeline/image_record.hpp), so glide.read_parameters and
// `glide generate --from` read what Python wrote.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <tuple>
#include <vector>

#include "arrays.hpp"
#include "bindings.hpp"
#include "gil.hpp"
#include "glide/error.hpp"
#include "pipeline/image_files.hpp"

namespace py = pybind11;

namespace glide::python {

using FileTuple = std::tuple<std::string, std::string, std::string>;  // role, path, SHA-256

namespace {

// The record Python's save= writes: its command and parameters, the models' files, and the
// configs given as values (extra_json, "" for none).
ImageRecord python_record(const std::string& command, const GenerationParams& params,
                          bool base_stage, bool upsampler_stage,
                          const std::vector<FileTuple>& files, const std::string& extra_json) {
  ImageRecord record{command, params, base_stage, upsampler_stage, {}};
  for (const auto& [role, path, sha256] : files) record.files.push_back({role, path, sha256});
  if (!extra_json.empty()) record.extra = nlohmann::ordered_json::parse(extra_json);
  return record;
}

}  // namespace

void bind_records(py::module_& m) {
  m.def(
      "_new_output_paths",
      [](const std::string& path, int64_t batch, bool overwrite) {
        const std::vector<std::string> names = output_paths(path, batch, /*grid=*/false);
        refuse_existing_outputs(names, overwrite, "pass overwrite=True to replace it");
        py::list paths;  // as bytes: a file name need not be UTF-8
        for (const std::string& p : names) paths.append(py::bytes(p));
        return paths;
      },
      py::arg("path"), py::arg("batch"), py::arg("overwrite"),
      "The files save=PATH writes for a batch (PATH, or NAME-k.png for each k), refused before "
      "any work: ValueError when one exists (unless overwrite) or cannot be written.");
  m.def(
      "_record_file",
      [](const std::string& role, const std::string& path) {
        RecordedFile f;
        {
          const GilReleased released;  // a model's SHA-256 reads gigabytes
          f = record_file(role, path);
        }
        return py::make_tuple(f.role, py::bytes(f.path), f.sha256);
      },
      py::arg("role"), py::arg("path"),
      "(role, absolute path as bytes, SHA-256) of a file to record.");
  m.def(
      "_check_records_fit",
      [](const std::string& command, GenerationParams params, bool base_stage, bool upsampler_stage,
         const std::vector<FileTuple>& files, const std::string& extra_json, int64_t count) {
        params.batch_size = count;
        check_records_fit(
            python_record(command, params, base_stage, upsampler_stage, files, extra_json), count);
      },
      py::arg("command"), py::arg("params"), py::arg("base_stage"), py::arg("upsampler_stage"),
      py::arg("files"), py::arg("extra_json"), py::arg("count"),
      "ValueError when the record of an image of a count-image batch cannot be PNG text (a "
      "prompt of megabytes): _write_images would refuse it after the work.");
  m.def(
      "_write_images",
      [](const py::handle& images, const std::vector<std::string>& paths, bool overwrite,
         const std::string& command, const GenerationParams& params, bool base_stage,
         bool upsampler_stage, const std::vector<FileTuple>& files, const std::string& extra_json) {
        const torch::Tensor pixels = images_from_numpy(images, "images");
        if (static_cast<size_t>(pixels.size(0)) != paths.size()) {
          throw Error(Status::invalid_argument, "_write_images: " + std::to_string(pixels.size(0)) +
                                                    " images for " + std::to_string(paths.size()) +
                                                    " files");
        }
        const ImageRecord record =
            python_record(command, params, base_stage, upsampler_stage, files, extra_json);
        const GilReleased released;
        write_image_files(pixels, paths, /*grid=*/false, overwrite, record);
      },
      py::arg("images"), py::arg("paths"), py::arg("overwrite"), py::arg("command"),
      py::arg("params"), py::arg("base_stage"), py::arg("upsampler_stage"), py::arg("files"),
      py::arg("extra_json"),
      "Writes uint8 (B, H, W, 3) images to `paths`, each with the record that makes it alone; "
      "all or none.");
}

}  // namespace glide::python
