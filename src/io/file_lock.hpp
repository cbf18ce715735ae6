#pragma once

#include <string>

namespace glide::io::detail {

// An exclusive advisory lock on `<file>.lock` next to `file` (links followed as a write to `file`
// would follow them), for work that reads and rewrites `file` over a long time: a second holder
// is refused at once instead of two writers overwriting each other's saves. The lock file is
// removed on release; one left by a killed process holds no lock (flock ends with the process)
// and is reused. On a file system that keeps no locks (flock: ENOLCK), nobody can be kept out,
// and the work goes on without one.
class FileLock {
 public:
  // glide::Error(io_error) naming `file` when another process holds the lock or the lock file
  // cannot be created. `user` says who is asking, for the message ("training").
  FileLock(const std::string& file, const std::string& user);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  const std::string& path() const { return path_; }
  // False when the file system keeps no locks and the work goes on unguarded.
  bool held() const { return held_; }

 private:
  std::string path_;
  int fd_ = -1;
  bool held_ = true;
};

}  // namespace glide::io::detail
