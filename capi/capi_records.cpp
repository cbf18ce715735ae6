#include "capi_records.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include "core/printable.hpp"
#include "glide/error.hpp"
#include "glide/io/files.hpp"
#include "pipeline/image_files.hpp"

namespace glide::capi {

std::optional<FileIdentity> file_identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  const auto ns = [](const timespec& t) { return int64_t{t.tv_sec} * 1000000000 + t.tv_nsec; };
  return FileIdentity{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                      static_cast<uint64_t>(st.st_size), ns(st.st_mtim), ns(st.st_ctim)};
}

void require_png_name(const char* path, const std::string& argument) {
  if (!path) throw Error(Status::invalid_argument, argument + " is NULL");
  if (io::lowercase_extension(path) != ".png") {
    throw Error(Status::invalid_argument,
                fmt::format("{} is '{}': glide writes PNG images; give a name that ends in .png",
                            argument, printable(path)));
  }
  if (io::names_only_an_extension(path)) {
    throw Error(Status::invalid_argument,
                fmt::format("{} is '{}', only an extension, which would make a hidden file; give "
                            "a name before it, such as out.png",
                            argument, printable(path)));
  }
}

namespace {

// The model's record, its SHA-256 read at the first call that needs it; refused whenever the file
// is no longer the one loaded.
const RecordedFile& recorded(LoadedModelFile& model) {
  const auto refuse_if_changed = [&] {
    if (file_identity(model.path) == model.identity) return;
    throw Error(Status::invalid_argument,
                fmt::format("params->save_path cannot record the {} file '{}': it was replaced, "
                            "changed or removed since this pipeline loaded it, so its SHA-256 "
                            "would not be that of the weights in use; create the pipeline again",
                            model.role, printable(model.path)));
  };
  refuse_if_changed();
  if (!model.recorded) {
    RecordedFile file = record_file(model.role, model.path);
    refuse_if_changed();  // while it was being read
    model.recorded = std::move(file);
  }
  return *model.recorded;
}

}  // namespace

std::optional<SavePlan> plan_save(PipelineModelFiles& files, const char* save_path, bool overwrite,
                                  ImageRecord record) {
  if (!save_path) return std::nullopt;
  const int64_t count = record.params.batch_size;
  SavePlan plan;
  plan.overwrite = overwrite;
  plan.paths = output_paths(save_path, count, /*grid=*/false);
  refuse_existing_outputs(plan.paths, overwrite, "set params->overwrite to replace it");
  const std::lock_guard<std::mutex> lock(files.recording);
  // The models the call runs, in the command line's order.
  for (const auto& [role, runs] : {std::pair{"model", record.base_stage},
                                   std::pair{"upsampler_model", record.upsampler_stage}}) {
    for (LoadedModelFile& model : files.models) {
      if (!runs || model.role != role) continue;
      record.files.push_back(recorded(model));
      if (!model.config.is_null()) record.extra["model_configs"][role] = model.config;
    }
  }
  check_records_fit(record, count);
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
