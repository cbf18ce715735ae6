#pragma once

#include <sys/types.h>

#include <csignal>
#include <cstddef>
#include <filesystem>
#include <string>

namespace glide::io::detail {

// Where writing `dest` lands, absolute: symbolic links followed one after another (a dangling
// one too: the file goes where it points), the folders above made canonical as far as they
// exist. glide::Error(io_error) naming `dest` for a link that cannot be read or a loop.
std::filesystem::path resolve_destination(const std::string& dest);

// Where a file written to `dest` goes and with which permissions. Without `overwrite` an
// existing name (a dangling symlink included) is refused. With it, a symlink's target is
// replaced (the link stays a link), a replaced file keeps its permission bits, and a file nobody
// may write (mode 0444) is refused, as rm asks before removing one. A folder or a device is
// always refused, and so is a new file whose folder is missing (not_found) or not writable
// (io_error, as when writing there fails). glide::Error(invalid_argument) naming `dest`
// otherwise; nothing is written.
struct Destination {
  std::string path;  // `dest`, or the target of the symlink `dest`
  mode_t mode = 0644;
};
Destination check_destination(const std::string& dest, bool overwrite);

// A file being written next to its destination (its path + ".tmp-XXXXXX"), removed unless
// committed, so a failed or interrupted save never leaves a half-written file under the
// destination's name: the destination is either absent, its old contents or all of the new.
// The constructor checks the destination (check_destination). Every failure is a
// glide::Error naming the destination: io_error for the file system's, invalid_argument for a
// refused destination.
class TempFile {
 public:
  TempFile(const std::string& dest, bool overwrite);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  void write(const void* data, size_t size);
  // Flushes, then moves the file into place atomically. Without `overwrite`, a destination that
  // appeared while writing is still left alone.
  void commit();

 private:
  [[noreturn]] void fail(const std::string& problem, int err) const;

  std::string dest_;
  bool overwrite_;
  Destination target_;
  std::string path_;
  int fd_ = -1;
  int slot_ = -1;  // in the table remove_unfinished_temp_files reads; -1 when not in it
  bool committed_ = false;
};

// Removes the `<dest>.tmp-XXXXXX` files a writer of `dest` killed outright (SIGKILL, the OOM
// killer, a power cut) left behind; returns how many. Only for a caller that holds a lock no
// other writer of `dest` can hold at the same time (FileLock), or it could remove a live writer's
// file.
int remove_stale_temp_files(const std::string& dest);

// The signals that end glide after remove_unfinished_temp_files (src/cli/signals.cpp).
inline constexpr int kEndingSignals[] = {SIGINT, SIGTERM, SIGHUP};

// Removes every TempFile's file not yet committed nor destroyed, and undoes every output
// remembered by remember_undo: for a handler of a signal that ends the process (Ctrl-C, SIGTERM,
// SIGHUP), which unwinds no destructor. Async-signal-safe: it only reads a fixed table and calls
// unlink and rename. The table holds 320 entries at once; more are still handled by their
// destructors.
void remove_unfinished_temp_files() noexcept;

// Remembers how to undo an output of a set not yet finished (NewOutputs), for
// remove_unfinished_temp_files: `backup` (a link to the old contents) renamed back over
// `output`, or with no backup (""), `output` removed as new. Returns the table slot to forget
// once the set is kept or undone, or -1 when the table is full.
int remember_undo(const std::string& output, const std::string& backup);
void forget_unfinished(int slot);

}  // namespace glide::io::detail
