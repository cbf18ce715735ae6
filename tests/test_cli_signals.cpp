// A signal that ends glide removes the outputs still being written (src/cli/signals.hpp).
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "io/temp_file.hpp"
#include "signals.hpp"
#include "support/catch_torch.hpp"
#include "support/temp_dir.hpp"

namespace {

// Runs `body` in a child process and returns how the child ended (waitpid's status).
template <typename F>
int in_child(F&& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    body();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

size_t entries_in(const std::filesystem::path& folder) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(folder)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a signal that ends glide removes the files being written", "[cli]") {
  for (const int signal : {SIGINT, SIGTERM, SIGHUP}) {
    INFO("signal " << signal);
    glide::test::ScratchDir dir;
    const int status = in_child([&] {
      glide::cli::end_cleanly_on_signals();
      glide::io::detail::TempFile finished(dir.file("finished.bin"), false);
      finished.write("done", 4);
      finished.commit();
      glide::io::detail::TempFile half(dir.file("half.bin"), false);
      half.write("half", 4);
      std::raise(signal);
    });
    CHECK(WIFSIGNALED(status));
    CHECK((WIFSIGNALED(status) && WTERMSIG(status) == signal));
    // The committed file stays; the one being written goes, under its temporary name too.
    CHECK(std::filesystem::exists(dir.file("finished.bin")));
    CHECK(entries_in(dir.path()) == 1);
  }
}

TEST_CASE("without the handlers a killed writer leaves its temporary file", "[cli]") {
  // The comparison above can fail: the default action removes nothing.
  glide::test::ScratchDir dir;
  const int status = in_child([&] {
    std::signal(SIGTERM, SIG_DFL);
    glide::io::detail::TempFile half(dir.file("half.bin"), false);
    half.write("half", 4);
    std::raise(SIGTERM);
  });
  CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM));
  CHECK(entries_in(dir.path()) == 1);
  CHECK_FALSE(std::filesystem::exists(dir.file("half.bin")));
}
