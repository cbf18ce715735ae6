#include "capi_records.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>

#include "core/printable.hpp"
#include "glide/error.hpp"
#include "glide/io/files.hpp"
#include "pipeline/image_files.hpp"

namespace glide::capi {

std::optional<FileIdentity> file_identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  std::error_code ec;
  const auto modified = std::filesystem::last_write_time(path, ec);
  if (ec) return std::nullopt;
  return FileIdentity{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                      static_cast<uint64_t>(st.st_size),
                      static_cast<int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                               modified.time_since_epoch())
                                               .count())};
}

void require_png_name(const char* path, const std::string& argument) {
  if (!path) throw Error(Status::invalid_argument, argument + " is NULL");
  if (io::lowercase_extension(path) != ".png") {
    throw Error(Status::invalid_argument,
                fmt::format("{} is '{}': glide writes PNG images; give a name that ends in .png",
                            argument, printable(path)));
  }
}

namespace {

// The model's record, its SHA-256 read at the first call that needs it.
const RecordedFile& recorded(LoadedModelFile& model) {
  if (model.recorded) return *model.recorded;
  if (!(file_identity(model.path) == model.identity)) {
    throw Error(Status::invalid_argument,
                fmt::format("params->save_path cannot record the {} file '{}': it was replaced, "
                            "changed or removed since this pipeline loaded it, so its SHA-256 "
                            "would not be that of the weights in use; create the pipeline again",
                            model.role, printable(model.path)));
  }
  model.recorded = record_file(model.role, model.path);
  return *model.recorded;
}

}  // namespace

std::optional<SavePlan> plan_save(PipelineModelFiles& files, const char* save_path, bool overwrite,
                                  int64_t count, ImageRecord record) {
  if (!save_path) return std::nullopt;
  require_png_name(save_path, "params->save_path");
  SavePlan plan;
  plan.overwrite = overwrite;
  plan.paths = output_paths(save_path, count, /*grid=*/false);
  for (const std::string& path : plan.paths) {
    refuse_existing_output(path, overwrite, "set params->overwrite to replace it");
  }
  const std::lock_guard<std::mutex> lock(files.recording);
  // The models the call runs, in the command line's order.
  for (const auto& [role, runs] : {std::pair{"model", record.base_stage},
                                   std::pair{"upsampler_model", record.upsampler_stage}}) {
    for (LoadedModelFile& model : files.models) {
      if (!runs || model.role != role) continue;
      record.files.push_back(recorded(model));
      if (!model.config_json.empty()) {
        record.extra["model_configs"][role] = nlohmann::ordered_json::parse(model.config_json);
      }
    }
  }
  record.params.batch_size = count;
  plan.record = std::move(record);
  return plan;
}

void write_planned(const SavePlan& plan, const torch::Tensor& images) {
  try {
    write_image_files(images, plan.paths, /*grid=*/false, plan.overwrite, plan.record);
  } catch (const Error& e) {
    throw Error(e.status(),
                fmt::format("{} (the images were made: *images holds them; free them with "
                            "glide_images_free)",
                            e.what()));
  }
}

}  // namespace glide::capi
