#pragma once

#include <string>
#include <utility>
#include <vector>

namespace glide::io::detail {

// The files one command writes, all or none: unless the command gets to keep() them, the files
// it created are removed and the ones it replaced get their old contents back. Each file is
// written atomically, but a set of them is not: when the second of two outputs fails (a full
// disk), the first would stay, and running the command again would refuse to overwrite it.
// A replaced file's old contents are kept as a hard link, `<file>.old-XXXXXX`, until keep() or
// the restore; a signal that ends glide restores them too (remove_unfinished_temp_files). Where
// the file system makes no links, a replaced file keeps its new contents.
class NewOutputs {
 public:
  NewOutputs() = default;
  NewOutputs(const NewOutputs&) = delete;
  NewOutputs& operator=(const NewOutputs&) = delete;
  ~NewOutputs();

  // Runs `write` (which writes `path`), ready to undo it.
  template <typename Write>
  void write(const std::string& path, Write&& write) {
    Output output = prepare(path);
    if (output.target.empty()) {  // written before in this set: its first undo covers this one
      std::forward<Write>(write)();
      return;
    }
    try {
      std::forward<Write>(write)();
    } catch (...) {
      // A failed write normally leaves the file as it was, but put the old contents back in case
      // it failed after replacing them; a file that was absent is not this write's to remove.
      output.existed = true;
      release(output, /*undo=*/true);
      throw;
    }
    outputs_.push_back(std::move(output));
  }

  // Every output is written: the new files stay and the old contents go. Ending signals wait
  // until it is done, so that a set is never half kept.
  void keep();

 private:
  struct Output {
    std::string target;   // the file a write to the path lands in, links followed
    bool existed = true;  // false: created by this write, so removed to undo it
    std::string backup;   // the old contents' link, "" when none
    int slot = -1;        // the backup's entry for signal handlers
  };
  // What undoing a write to `path` takes; an empty target when this set already wrote it.
  Output prepare(const std::string& path) const;
  // Removes (undo = false) or restores (undo = true) what `output` kept to undo its write.
  static void release(Output& output, bool undo);

  std::vector<Output> outputs_;
};

}  // namespace glide::io::detail
