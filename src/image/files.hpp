#pragma once

#include <string>

// Whole-file reads and atomic writes for the image part.
namespace glide::image {

// glide::Error: not_found for a missing file, io_error for an unreadable one or a folder,
// invalid_argument for a pipe, socket or device.
std::string read_file(const std::string& path);

// glide::Error(invalid_argument) when write_file_atomically would refuse `path` before writing:
// it exists and `overwrite` is false, or it is a folder, a device or a read-only file.
void refuse_existing(const std::string& path, bool overwrite);

// Writes `bytes` to a temporary file next to `path`, flushes it and renames it into place, so
// `path` is either absent, its old contents or all of `bytes`. Without `overwrite` an existing
// file is never replaced, even one that appears while writing. With it, a symlink's target is
// replaced (the link stays), a replaced file keeps its permissions, and a read-only file (no
// write bit for anyone) is refused.
void write_file_atomically(const std::string& path, const std::string& bytes, bool overwrite);

}  // namespace glide::image
