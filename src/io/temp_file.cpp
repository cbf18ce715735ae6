#include "io/temp_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>

#include "glide/error.hpp"

namespace glide::io::detail {
namespace {

constexpr int kMaxLinkHops = 40;  // as Linux's path lookup (ELOOP)

// A temporary file's name: its destination's, then this and mkstemp's six letters or digits.
constexpr char kTempInfix[] = ".tmp-";
constexpr size_t kTempLetters = 6;

// The unfinished temporary files and outputs (remember_undo), for
// remove_unfinished_temp_files. A slot is claimed (free → filling), its paths copied, then
// published (→ ready). A signal handler takes a ready slot (→ removing) while it acts on it, so
// that the slot cannot be freed and refilled under it.
enum SlotState : int { kFree, kFilling, kReady, kRemoving };
struct UnfinishedSlot {
  std::atomic<int> state{kFree};
  char path[PATH_MAX];
  char restore_to[PATH_MAX];  // "": `path` is removed; else `path` is a backup renamed to this
};
// Room for a whole batch's outputs (GenerationParams::kMaxBatchSize) and the files being written.
UnfinishedSlot g_unfinished[256 + 64];

int remember(const std::string& path, const std::string& restore_to) {
  if (path.size() >= PATH_MAX || restore_to.size() >= PATH_MAX) return -1;
  for (int i = 0; i < static_cast<int>(std::size(g_unfinished)); ++i) {
    int expected = kFree;
    if (g_unfinished[i].state.compare_exchange_strong(expected, kFilling)) {
      std::memcpy(g_unfinished[i].path, path.c_str(), path.size() + 1);
      std::memcpy(g_unfinished[i].restore_to, restore_to.c_str(), restore_to.size() + 1);
      g_unfinished[i].state.store(kReady, std::memory_order_release);
      return i;
    }
  }
  return -1;
}

[[noreturn]] void already_exists(const std::string& dest) {
  throw Error(
      Status::invalid_argument,
      "'" + dest +
          "' already exists; refusing to replace it unless asked to overwrite "
          "(--overwrite on the command line, overwrite=True in Python and C++, overwrite = true "
          "in C)");
}

[[noreturn]] void is_a_folder(const std::string& dest) {
  throw Error(Status::invalid_argument,
              "cannot write '" + dest + "': it is a folder; give a file name in it");
}

// A new file at `path` (written for `dest`) needs a folder to go into; found out now rather
// than when the temporary file cannot be created after the work is done.
void check_folder_of(const std::string& dest, const std::string& path) {
  if (!dest.empty() && dest.back() == '/') {
    throw Error(Status::invalid_argument,
                "cannot write '" + dest + "': it names a folder; give a file name in it");
  }
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string folder = parent.empty() ? std::string(".") : parent.string();
  struct stat st;
  if (::stat(folder.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) {
      throw Error(Status::not_found,
                  "cannot write '" + dest + "': its folder '" + folder + "' does not exist");
    }
    throw Error(Status::io_error, "cannot write '" + dest + "': cannot reach its folder '" +
                                      folder + "': " + std::strerror(err));
  }
  if (!S_ISDIR(st.st_mode)) {
    throw Error(Status::invalid_argument,
                "cannot write '" + dest + "': '" + folder + "' is not a folder");
  }
  if (::access(folder.c_str(), W_OK) != 0) {
    throw Error(Status::io_error, "cannot write '" + dest + "': its folder '" + folder +
                                      "' is not writable: " + std::strerror(errno));
  }
}

// The temporary file written first is named `path`'s file name and kTempInfix and six letters:
// a name too long for that is refused now, not after the work.
void check_name_fits(const std::string& dest, const std::string& path) {
  const size_t name = std::filesystem::path(path).filename().string().size();
  const size_t longest = NAME_MAX - (sizeof kTempInfix - 1) - kTempLetters;
  if (name > longest) {
    throw Error(Status::invalid_argument,
                "cannot write '" + dest + "': its file name is " + std::to_string(name) +
                    " bytes; glide writes names of at most " + std::to_string(longest) +
                    " bytes (the temporary file it writes first adds " +
                    std::to_string(NAME_MAX - longest) + " to the system's " +
                    std::to_string(NAME_MAX) + ")");
  }
}

}  // namespace

std::filesystem::path resolve_destination(const std::string& dest) {
  namespace fs = std::filesystem;
  // Links are followed one by one: weakly_canonical stops at a dangling link, which would then
  // be replaced by the file instead of the file being written where it points.
  fs::path path = fs::absolute(dest);
  struct stat st;
  for (int hops = 0; ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode); ++hops) {
    std::error_code ec;
    const fs::path pointed = fs::read_symlink(path, ec);
    if (ec || hops == kMaxLinkHops) {
      throw Error(Status::io_error,
                  "cannot write '" + dest + "': cannot follow the symbolic link: " +
                      (ec ? ec.message() : "more than 40 links in a row (a loop?)"));
    }
    path = pointed.is_absolute() ? pointed : path.parent_path() / pointed;
  }
  std::error_code ec;
  const fs::path resolved = fs::weakly_canonical(path, ec);
  return ec ? path.lexically_normal() : resolved;
}

Destination check_destination(const std::string& dest, bool overwrite) {
  Destination target{dest};
  check_name_fits(dest, dest);
  struct stat st;
  if (::lstat(dest.c_str(), &st) != 0) {
    const int err = errno;
    // Anything but a missing name (or a missing folder on its way) is not a new file.
    if (err != ENOENT && err != ENOTDIR) {
      throw Error(Status::io_error, "cannot write '" + dest + "': " + std::strerror(err));
    }
    check_folder_of(dest, dest);  // a new file
    return target;
  }
  if (!overwrite) {
    // A folder (or a link to one) is never replaced: say so, not that it exists.
    struct stat target;
    if (::stat(dest.c_str(), &target) == 0 && S_ISDIR(target.st_mode)) is_a_folder(dest);
    already_exists(dest);
  }
  if (S_ISLNK(st.st_mode)) {
    target.path = resolve_destination(dest).string();
    check_name_fits(dest, target.path);
    if (::stat(target.path.c_str(), &st) != 0) {  // a dangling link's new target
      check_folder_of(dest, target.path);
      return target;
    }
  }
  if (S_ISDIR(st.st_mode)) is_a_folder(dest);
  if (!S_ISREG(st.st_mode)) {
    throw Error(Status::invalid_argument, "cannot write '" + dest + "': it is not a regular file");
  }
  if ((st.st_mode & 0222) == 0) {
    throw Error(Status::invalid_argument,
                "'" + dest + "' is read-only; refusing to replace it (make it writable first)");
  }
  target.mode = st.st_mode & 07777;
  return target;
}

TempFile::TempFile(const std::string& dest, bool overwrite)
    : dest_(dest), overwrite_(overwrite), target_(check_destination(dest, overwrite)) {
  path_ = target_.path + kTempInfix + std::string(kTempLetters, 'X');
  fd_ = ::mkstemp(path_.data());
  if (fd_ < 0) fail("cannot create a temporary file next to it", errno);
  slot_ = remember(path_, "");
}

TempFile::~TempFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(path_.c_str());
  forget_unfinished(slot_);
}

int remember_undo(const std::string& output, const std::string& backup) {
  return backup.empty() ? remember(output, "") : remember(backup, output);
}

void forget_unfinished(int slot) {
  if (slot < 0) return;
  // A handler on another thread may be acting on this slot: wait for it to let go.
  for (int expected = kReady; !g_unfinished[slot].state.compare_exchange_weak(expected, kFree);
       expected = kReady) {
  }
}

int remove_stale_temp_files(const std::string& dest) {
  namespace fs = std::filesystem;
  const fs::path target = resolve_destination(dest);
  const std::string prefix = target.filename().string() + kTempInfix;
  int removed = 0;
  try {  // tidying up: a folder that cannot be listed leaves the files where they are
    for (const auto& entry : fs::directory_iterator(target.parent_path())) {
      const std::string name = entry.path().filename().string();
      if (name.size() != prefix.size() + kTempLetters ||
          name.compare(0, prefix.size(), prefix) != 0) {
        continue;
      }
      if (!std::all_of(name.begin() + static_cast<std::ptrdiff_t>(prefix.size()), name.end(),
                       [](unsigned char c) { return std::isalnum(c) != 0; })) {
        continue;
      }
      if (entry.is_symlink() || !entry.is_regular_file()) continue;
      if (::unlink(entry.path().c_str()) == 0) ++removed;
    }
  } catch (const fs::filesystem_error&) {
  }
  return removed;
}

void remove_unfinished_temp_files() noexcept {
  for (auto& slot : g_unfinished) {
    int expected = kReady;
    if (slot.state.compare_exchange_strong(expected, kRemoving)) {
      if (slot.restore_to[0] == '\0') {
        ::unlink(slot.path);
      } else {
        ::rename(slot.path, slot.restore_to);
        ::unlink(slot.path);  // still there when both names were links to one file already
      }
      slot.state.store(kReady, std::memory_order_release);
    }
  }
}

void TempFile::fail(const std::string& problem, int err) const {
  throw Error(Status::io_error, "cannot write '" + dest_ + "': " + problem +
                                    (err ? std::string(": ") + std::strerror(err) : ""));
}

void TempFile::write(const void* data, size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t k = ::write(fd_, bytes, std::min<size_t>(size, size_t{1} << 30));
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) fail("writing failed", k < 0 ? errno : 0);
    bytes += k;
    size -= static_cast<size_t>(k);
  }
}

void TempFile::commit() {
  if (::fchmod(fd_, target_.mode) != 0 || ::fsync(fd_) != 0) fail("flushing failed", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("closing failed", errno);
  const std::string& dest = target_.path;
  int rc;
  bool linked = false;
  if (overwrite_) {
    rc = ::rename(path_.c_str(), dest.c_str());
  } else {
    rc = ::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, dest.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
      // A file system without RENAME_NOREPLACE: link() also refuses an existing name.
      rc = ::link(path_.c_str(), dest.c_str());
      linked = rc == 0;
    }
  }
  if (rc != 0 && errno == EEXIST) already_exists(dest_);
  if (rc != 0) fail("moving the finished file into place failed", errno);
  committed_ = true;
  if (linked) ::unlink(path_.c_str());
  // Only now: a signal before this point removes the file under its temporary name, which the
  // rename has made a no-op.
  forget_unfinished(slot_);
  slot_ = -1;
}

}  // namespace glide::io::detail
