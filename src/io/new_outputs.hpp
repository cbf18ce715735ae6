#pragma once

#include <string>
#include <utility>
#include <vector>

namespace glide::io::detail {

// The files one command creates, removed again unless the command gets to keep() them. Each
// file is written atomically, but a set of them is not: when the second of two outputs fails (a
// full disk), the first would stay, and running the command again would refuse to overwrite it.
// Only files that did not exist before are removed: one replaced under `overwrite` has lost its
// old contents either way and keeps the new.
class NewOutputs {
 public:
  NewOutputs() = default;
  NewOutputs(const NewOutputs&) = delete;
  NewOutputs& operator=(const NewOutputs&) = delete;
  ~NewOutputs();

  // Runs `write` (which writes `path`) and remembers `path` when it was not there before.
  template <typename Write>
  void write(const std::string& path, Write&& write) {
    std::pair<std::string, bool> target = where(path);
    std::forward<Write>(write)();
    if (target.second) created_.push_back(std::move(target.first));
  }

  // Every output is written: nothing is removed.
  void keep() { created_.clear(); }

 private:
  // (the file a write to `path` lands in, links followed; whether it is absent now)
  static std::pair<std::string, bool> where(const std::string& path);

  std::vector<std::string> created_;
};

}  // namespace glide::io::detail
