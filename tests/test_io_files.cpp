// glide::io::write_file and check_output_file: the rules every output file follows (PNGs,
// checkpoints, sweep CSVs), checked on the file system.
#include <sys/stat.h>

#include <filesystem>

#include "glide/error.hpp"
#include "glide/io/checkpoint.hpp"
#include "glide/io/files.hpp"
#include "io/new_outputs.hpp"
#include "io/temp_file.hpp"
#include "io_test_util.hpp"
#include "support/catch_torch.hpp"
#include "support/files.hpp"
#include "support/require_error.hpp"
#include "support/temp_dir.hpp"

using glide::Status;
using glide::test::require_error;
using glide::test::ScratchDir;
namespace fs = std::filesystem;

namespace {

mode_t mode_of(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("write_file replaces only what it is asked to, and nothing half-written", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("out.txt");
  glide::io::write_file(path, "one");
  CHECK(glide::test::file_text(path) == "one");
  require_error([&] { glide::io::write_file(path, "two"); }, "already exists",
                Status::invalid_argument);
  CHECK(glide::test::file_text(path) == "one");

  // Overwriting keeps the file's permissions.
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  glide::io::write_file(path, "two", /*overwrite=*/true);
  CHECK(glide::test::file_text(path) == "two");
  CHECK(mode_of(path) == 0640);

  // A read-only file (no write bit for anyone) is refused even when overwriting.
  fs::permissions(path, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  require_error([&] { glide::io::write_file(path, "three", true); }, "is read-only",
                Status::invalid_argument);
  CHECK(glide::test::file_text(path) == "two");

  // A folder is refused, with or without overwrite.
  fs::create_directory(dir.file("folder"));
  for (const bool overwrite : {true, false}) {
    require_error([&] { glide::io::check_output_file(dir.file("folder"), overwrite); },
                  "is a folder", Status::invalid_argument);
  }
  CHECK(glide::test::entries_in(dir.path()) == 2);  // no temporary file left behind

  // A new file's folder must exist and be a folder; found before any work, not at the end.
  require_error([&] { glide::io::check_output_file(dir.file("absent/out.txt")); },
                "folder '" + dir.file("absent") + "' does not exist", Status::not_found);
  require_error([&] { glide::io::check_output_file(path + "/out.txt"); }, "is not a folder",
                Status::invalid_argument);
  require_error([&] { glide::io::check_output_file(dir.file("new") + "/"); }, "names a folder",
                Status::invalid_argument);
  glide::io::check_output_file("relative-name-in-the-working-folder.txt");
}

TEST_CASE("write_file writes a symlink's target and keeps the link", "[io]") {
  ScratchDir dir;
  const std::string target = dir.file("target.txt"), link = dir.file("link.txt");
  glide::io::write_file(target, "old");
  fs::create_symlink("target.txt", link);
  require_error([&] { glide::io::write_file(link, "new"); }, "already exists",
                Status::invalid_argument);
  glide::io::write_file(link, "new", /*overwrite=*/true);
  CHECK(fs::is_symlink(link));
  CHECK(glide::test::file_text(target) == "new");

  // A dangling link is a name that exists: refused without overwrite, its target made with it.
  const std::string dangling = dir.file("dangling.txt");
  fs::create_symlink("made.txt", dangling);
  require_error([&] { glide::io::write_file(dangling, "x"); }, "already exists",
                Status::invalid_argument);
  glide::io::write_file(dangling, "x", true);
  CHECK(fs::is_symlink(dangling));
  CHECK(glide::test::file_text(dir.file("made.txt")) == "x");

  // A chain of links ending in a dangling one: the file goes at the end, every link stays.
  fs::create_symlink("hop.txt", dir.file("first.txt"));
  fs::create_symlink("end.txt", dir.file("hop.txt"));
  glide::io::write_file(dir.file("first.txt"), "chain", true);
  CHECK(fs::is_symlink(dir.file("first.txt")));
  CHECK(fs::is_symlink(dir.file("hop.txt")));
  CHECK(glide::test::file_text(dir.file("end.txt")) == "chain");

  // A loop is named, not followed forever.
  fs::create_symlink("loop-b.txt", dir.file("loop-a.txt"));
  fs::create_symlink("loop-a.txt", dir.file("loop-b.txt"));
  require_error([&] { glide::io::write_file(dir.file("loop-a.txt"), "x", true); },
                "cannot follow the symbolic link", Status::io_error);
}

TEST_CASE("a set of outputs not kept is undone, replaced files included", "[io]") {
  ScratchDir dir;
  const std::string old_file = dir.file("old.txt");
  glide::test::write_file(old_file, "original");
  const auto write = [](const std::string& path, const std::string& text) {
    glide::io::detail::TempFile file(path, /*overwrite=*/true);
    file.write(text.data(), text.size());
    file.commit();
  };
  {
    glide::io::detail::NewOutputs outputs;
    outputs.write(old_file, [&] { write(old_file, "first"); });
    outputs.write(old_file, [&] { write(old_file, "second"); });
    outputs.write(dir.file("new.txt"), [&] { write(dir.file("new.txt"), "new"); });
    CHECK(glide::test::file_text(old_file) == "second");
    // A write that fails is not undone by removing what was there before it.
    CHECK_THROWS(outputs.write(old_file, [] { throw std::runtime_error("disk full"); }));
    CHECK(glide::test::file_text(old_file) == "second");
  }
  // Undone last write first: the file holds what it held before the set.
  CHECK(glide::test::file_text(old_file) == "original");
  CHECK(glide::test::entries_in(dir.path()) == 1);
  {
    glide::io::detail::NewOutputs outputs;
    outputs.write(old_file, [&] { write(old_file, "kept"); });
    outputs.keep();
  }
  CHECK(glide::test::file_text(old_file) == "kept");
  CHECK(glide::test::entries_in(dir.path()) == 1);  // the backup went with keep()
}

TEST_CASE("same_file sees one file behind dots, links and dangling links", "[io]") {
  ScratchDir dir;
  using glide::io::same_file;
  const std::string a = dir.file("a.txt");
  CHECK(same_file(a, dir.file("sub/../a.txt")));  // neither exists yet
  CHECK_FALSE(same_file(a, dir.file("b.txt")));
  glide::io::write_file(a, "a");
  fs::create_hard_link(a, dir.file("hard.txt"));
  CHECK(same_file(a, dir.file("hard.txt")));
  // Links that do not lead to an existing file yet: where writing them would land counts.
  fs::create_symlink("new.txt", dir.file("to-new.txt"));
  fs::create_symlink("to-new.txt", dir.file("to-to-new.txt"));
  CHECK(same_file(dir.file("to-new.txt"), dir.file("new.txt")));
  CHECK(same_file(dir.file("new.txt"), dir.file("to-to-new.txt")));
  CHECK_FALSE(same_file(dir.file("to-new.txt"), a));
  fs::create_symlink("a.txt", dir.file("to-a.txt"));
  CHECK(same_file(dir.file("to-a.txt"), a));
}

TEST_CASE("checkpoints are written by the same rules", "[io]") {
  ScratchDir dir;
  glide::StateDict state;
  state.insert("w", torch::ones({2}));
  const std::string target = dir.file("model.safetensors"), link = dir.file("link.safetensors");
  glide::io::save_safetensors(state, target);
  fs::create_symlink("model.safetensors", link);
  state.insert("b", torch::zeros({1}));
  glide::io::save_safetensors(state, link, {}, /*overwrite=*/true);
  CHECK(fs::is_symlink(link));
  CHECK(glide::io::load_safetensors(target).size() == 2);
  const std::string pt = dir.file("model.pt");
  glide::io::save_torch_state_dict(state, pt);
  fs::permissions(pt, fs::perms::owner_read);
  require_error([&] { glide::io::save_torch_state_dict(state, pt, true); }, "is read-only",
                Status::invalid_argument);
}

TEST_CASE("lowercase_extension reads a file name's extension in any case", "[io]") {
  using glide::io::lowercase_extension;
  CHECK(lowercase_extension("dir/Out.PNG") == ".png");
  CHECK(lowercase_extension("run.ckpt.SafeTensors") == ".safetensors");
  CHECK(lowercase_extension("dir.d/name") == "");
  CHECK(lowercase_extension("name.") == ".");
  // A name that is only an extension has it (std::filesystem calls it a dotfile without one).
  CHECK(lowercase_extension("dir/.safetensors") == ".safetensors");
  CHECK(lowercase_extension("..") == "");
}

TEST_CASE("read_file reads whole files up to a size", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("data.bin");
  const std::string bytes = std::string("a\0b", 3) + std::string(100000, 'x');
  glide::io::write_file(path, bytes);
  CHECK(glide::io::read_file(path) == bytes);
  CHECK(glide::io::read_file(path, bytes.size()) == bytes);
  require_error([&] { glide::io::read_file(path, bytes.size() - 1); },
                "it is 100003 bytes; glide reads at most 100002 bytes here",
                Status::invalid_argument);
  require_error([&] { glide::io::read_file(dir.file("absent")); }, "absent", Status::not_found);
  require_error([&] { glide::io::read_file(dir.path().string()); }, "it is a folder",
                Status::io_error);
}
