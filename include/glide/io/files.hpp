#pragma once

#include <cstddef>
#include <string>

// How glide writes every output file (images, checkpoints, CSV sheets): nothing the user had is
// replaced without being asked, and no reader ever sees half a file. And how it reads a whole
// input file (images, config files, captions).
namespace glide::io {

// The whole file at `path`. glide::Error naming it: not_found for a missing file, io_error for
// an unreadable one or a folder, invalid_argument for a pipe, socket or device (reading one
// would block or never end) or a file over `max_bytes` (the default is 1 GiB, over any image
// glide reads; a caller reading captions or configs passes less).
inline constexpr size_t kMaxReadFileBytes = size_t{1} << 30;
std::string read_file(const std::string& path, size_t max_bytes = kMaxReadFileBytes);

// Writes `bytes` to a temporary file next to `path` and renames it into place, so `path` is
// either absent, its old contents or all of `bytes`. Without `overwrite` an existing name (a
// dangling symlink too) is never replaced, even one that appears while writing. With it, a
// symlink's target is replaced (the link stays a link), a replaced file keeps its permissions,
// and a read-only file (no write bit for anyone) is refused, as rm asks before removing one. A
// folder or a device is always refused, and so is a new file whose folder does not exist.
// Throws glide::Error naming `path`: invalid_argument for a refused destination, not_found for a
// missing folder, io_error when writing fails.
void write_file(const std::string& path, const std::string& bytes, bool overwrite = false);

// Throws what write_file would refuse about `path` before writing anything, for refusing before
// minutes of work.
void check_output_file(const std::string& path, bool overwrite = false);

// The extension of `path`'s file name, lower-cased, with its dot: ".png" for "a/B.PNG", "" for
// "a/b". A name that is only an extension (".png", to std::filesystem a dotfile without one)
// gives itself, so a check of the extension does not say it lacks one.
std::string lowercase_extension(const std::string& path);

// Whether `path`'s file name is only an extension (".png", "out/.PNG"): as an output name it would
// make a hidden file with no name of its own (and "NAME-k" names of ".png-0.png" for a batch).
bool names_only_an_extension(const std::string& path);

// Whether `a` and `b` name one file, through "..", symbolic links or hard links, whether or not
// it exists yet: two outputs of one command must not (the second would replace the first).
bool same_file(const std::string& a, const std::string& b);

}  // namespace glide::io
