#include "io/new_outputs.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "io/temp_file.hpp"

namespace glide::io::detail {
namespace {

// A new hard link to `target` beside it, "<target>.old-XXXXXX"; "" when the file system refuses.
std::string link_old_contents(const std::string& target) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string name = target + ".old-XXXXXX";
    const int fd = ::mkstemp(name.data());  // a fresh name; the link takes its place
    if (fd < 0) return "";
    ::close(fd);
    ::unlink(name.c_str());
    if (::link(target.c_str(), name.c_str()) == 0) return name;
    if (errno != EEXIST) return "";
  }
  return "";
}

}  // namespace

NewOutputs::Output NewOutputs::prepare(const std::string& path) const {
  Output output;
  output.target = resolve_destination(path).string();
  for (const Output& earlier : outputs_) {
    if (earlier.target == output.target) return Output{};
  }
  struct stat st;
  if (::lstat(output.target.c_str(), &st) != 0) {
    // Only a name known to be free is ours to remove later; one we cannot look at may be anyone's.
    output.existed = errno != ENOENT;
  } else if (S_ISREG(st.st_mode)) {
    output.backup = link_old_contents(output.target);
  }
  if (!output.existed || !output.backup.empty()) {
    output.slot = remember_undo(output.target, output.backup);
  }
  return output;
}

void NewOutputs::release(Output& output, bool undo) {
  if (!output.backup.empty()) {
    // rename() between two links to one file does nothing: the unlink then drops the backup.
    if (undo) ::rename(output.backup.c_str(), output.target.c_str());
    ::unlink(output.backup.c_str());
  } else if (undo && !output.existed) {
    ::unlink(output.target.c_str());
  }
  // Only now: a signal before this point repeats the same steps, which then find nothing to do.
  forget_unfinished(output.slot);
  output.slot = -1;
}

void NewOutputs::keep() {
  sigset_t ending;
  sigset_t before;
  sigemptyset(&ending);
  for (const int signal : kEndingSignals) sigaddset(&ending, signal);
  ::pthread_sigmask(SIG_BLOCK, &ending, &before);
  for (Output& output : outputs_) release(output, /*undo=*/false);
  outputs_.clear();
  ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

NewOutputs::~NewOutputs() {
  // Last write first, as changes are undone; a file written twice has one entry (prepare).
  for (auto it = outputs_.rbegin(); it != outputs_.rend(); ++it) release(*it, /*undo=*/true);
}

}  // namespace glide::io::detail
