// A signal that ends glide removes the outputs still being written (src/cli/signals.hpp).
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "io/new_outputs.hpp"
#include "io/temp_file.hpp"
#include "signals.hpp"
#include "support/catch_torch.hpp"
#include "support/child_signals.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

namespace {

// Runs `body` in a child process and returns how the child ended (waitpid's status).
template <typename F>
int in_child(F&& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    glide::test::default_ending_signals();
    body();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
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
    CHECK(glide::test::entries_in(dir.path()) == 1);
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
  CHECK(glide::test::entries_in(dir.path()) == 1);
  CHECK_FALSE(std::filesystem::exists(dir.file("half.bin")));
}

TEST_CASE("a signal ignored when glide starts stays ignored", "[cli]") {
  // nohup ignores SIGHUP; a shell ignores SIGINT in background jobs. Neither handler replaces
  // that, so the child lives on past the signal and exits normally.
  const int status = in_child([] {
    std::signal(SIGHUP, SIG_IGN);
    glide::cli::end_cleanly_on_signals();
    std::raise(SIGHUP);
    glide::cli::handle_signal(SIGHUP, glide::cli::end_cleanly);
    std::raise(SIGHUP);
    ::_exit(7);
  });
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 7));
  // The ones not ignored are caught: the same calls end a child by SIGINT.
  const int caught = in_child([] {
    glide::cli::end_cleanly_on_signals();
    std::raise(SIGINT);
    ::_exit(7);
  });
  CHECK((WIFSIGNALED(caught) && WTERMSIG(caught) == SIGINT));
}

TEST_CASE("ending by a signal works while that signal is blocked", "[cli]") {
  const int status = in_child([] {
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &term, nullptr);
    glide::cli::end_by_signal(SIGTERM);
  });
  CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM));
}

TEST_CASE("a signal in the middle of a set of outputs puts replaced files back", "[cli]") {
  glide::test::ScratchDir dir;
  glide::test::write_file(dir.file("old.txt"), "old");
  const auto write = [&](const std::string& name, const std::string& text) {
    glide::io::detail::TempFile file(dir.file(name), /*overwrite=*/true);
    file.write(text.data(), text.size());
    file.commit();
  };
  const int status = in_child([&] {
    glide::cli::end_cleanly_on_signals();
    glide::io::detail::NewOutputs outputs;
    outputs.write(dir.file("old.txt"), [&] { write("old.txt", "new"); });
    outputs.write(dir.file("new.txt"), [&] { write("new.txt", "new"); });
    outputs.write(dir.file("old.txt"), [&] { write("old.txt", "newer"); });  // a second time
    std::raise(SIGTERM);  // before keep(): the set is unfinished
  });
  CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM));
  // The set is undone as a whole: no new.txt, and no '.old-' backup left beside old.txt.
  CHECK(glide::test::file_text(dir.file("old.txt")) == "old");
  CHECK(glide::test::entries_in(dir.path()) == 1);
}
