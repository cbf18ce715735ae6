#pragma once

// glide_generate_params.save_path: a call's images written as the command line and Python write
// them, each PNG holding the record that makes it again (src/pipeline/image_record.hpp).
#include <torch/types.h>

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/image_record.hpp"

namespace glide::capi {

// What tells a file apart from one put in its place or rewritten since: the status change time
// moves with any write, even one that restores the modification time.
struct FileIdentity {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t size = 0;
  int64_t modified_ns = 0;
  int64_t changed_ns = 0;
  bool operator==(const FileIdentity& o) const {
    return device == o.device && inode == o.inode && size == o.size &&
           modified_ns == o.modified_ns && changed_ns == o.changed_ns;
  }
};
// nullopt when the file cannot be read (removed, say).
std::optional<FileIdentity> file_identity(const std::string& path);

// A model file a pipeline loaded, as records name it. Its SHA-256 is read at the first save that
// records it (reading gigabytes in every glide_pipeline_create would slow the pipelines that
// never save), so which file was loaded is told by its identity at loading, checked at every
// save.
struct LoadedModelFile {
  std::string role;  // "model" or "upsampler_model"
  std::string path;  // absolute
  std::optional<FileIdentity> identity;
  // The stage's config (stage_config_json) when the caller gave one: no file holds it, so the
  // record keeps it, as "model_configs". Null otherwise.
  nlohmann::ordered_json config;
  std::optional<RecordedFile> recorded;
};

// A pipeline's model files, and the lock under which each is read once.
struct PipelineModelFiles {
  std::vector<LoadedModelFile> models;
  std::mutex recording;
};

// What one call writes, settled before it samples.
struct SavePlan {
  std::vector<std::string> paths;
  ImageRecord record;
  bool overwrite = false;
};

// The plan for a call making record.params.batch_size images (nullopt when save_path, a name
// require_png_name accepted, is NULL): refuses files that exist (unless overwrite) or name one file
// twice, a record too large for PNG text, and model files changed since the pipeline loaded them;
// reads the SHA-256 of the models `record` runs, once per pipeline.
std::optional<SavePlan> plan_save(PipelineModelFiles& files, const char* save_path, bool overwrite,
                                  ImageRecord record);

// Writes uint8 (count, H, W, 3) images as planned, all or none; a failure's message adds that
// *images holds the images.
void write_planned(const SavePlan& plan, const torch::Tensor& images);

// "path": the name glide_images_save and save_path accept; else glide::Error(invalid_argument)
// naming `argument`.
void require_png_name(const char* path, const std::string& argument);

}  // namespace glide::capi
