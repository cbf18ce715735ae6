#pragma once

#include <string>

// Whole-file reads for the image part (writes: glide/io/files.hpp).
namespace glide::image {

// glide::Error: not_found for a missing file, io_error for an unreadable one or a folder,
// invalid_argument for a pipe, socket or device.
std::string read_file(const std::string& path);

}  // namespace glide::image
