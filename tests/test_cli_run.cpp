// The glide program itself on the golden tiny models, where pixels must be compared: --from
// makes the same image, a batch's files each make their image again, inpainting keeps the
// white part of the mask. (tests/cmake/run_cli_*.cmake check the flags and text chunks.)
#include <ATen/ATen.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "glide.h"
#include "glide/image/png.hpp"
#include "glide/pipeline/default_models.hpp"
#include "support/capi_calls.hpp"
#include "support/catch_torch.hpp"
#include "support/child_signals.hpp"
#include "support/files.hpp"
#include "support/goldens.hpp"
#include "support/temp_dir.hpp"

namespace {

using glide::image::load_png;

std::string quoted(const std::string& arg) {
  std::string q = "'";
  for (const char c : arg) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs the glide program, its output appended to the folder's log.txt, after the shell commands
// in `setup` ("ulimit -v 1000 && "); returns its exit status.
int run_glide(const std::vector<std::string>& args, const glide::test::ScratchDir& dir,
              const std::string& setup = "") {
  std::string command = setup + quoted(GLIDE_CLI_PROGRAM);
  for (const auto& a : args) command += " " + quoted(a);
  command += " >>" + quoted(dir.file("log.txt")) + " 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// --model/--model-config flags for a golden case, the config written from models.json.
std::vector<std::string> model_flags(const std::string& goldens, const glide::test::ScratchDir& dir,
                                     const std::string& flag, const std::string& name) {
  std::ifstream in(goldens + "/models.json");
  const auto all = nlohmann::json::parse(in);
  const std::string config = dir.file(name + ".json");
  std::ofstream(config) << all.at(name).at("options").dump();
  return {flag, goldens + "/model_" + name + ".pt", flag + "-config", config};
}

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

int64_t max_level_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(at::kInt) - b.to(at::kInt)).abs().max().item<int64_t>();
}

}  // namespace

TEST_CASE("glide generate --from IMAGE makes the same pixels", "[cli]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  const std::string goldens = *glide::test::goldens_dir();
  glide::test::ScratchDir dir("glide-cli-run");
  const auto flags =
      model_flags(goldens, dir, "--model", "text2im") +
      model_flags(goldens, dir, "--upsampler-model", "superres") +
      std::vector<std::string>{"--base-steps", "4", "--upsampler-steps", "3", "--quiet"};
  const std::vector<std::string> gen = {
      "generate",       "-p",   "a red cube", "--seed", "7", "--guidance-scale", "2.5",
      "--base-sampler", "ddim", "--base-eta", "0.5"};
  REQUIRE(run_glide(gen + flags + std::vector<std::string>{"-o", dir.file("a.png")}, dir) == 0);
  REQUIRE(run_glide({"generate", "--from", dir.file("a.png"), "-o", dir.file("b.png"), "--quiet"},
                    dir) == 0);
  const auto a = load_png(dir.file("a.png"));
  const auto b = load_png(dir.file("b.png"));
  CHECK(a.pixels.sizes() == at::IntArrayRef{32, 32, 3});
  CHECK(torch::equal(a.pixels, b.pixels));
  CHECK(a.text == b.text);

  // The comparison can fail: another seed, or another guidance scale, changes the pixels.
  REQUIRE(run_glide({"generate", "--from", dir.file("a.png"), "--seed", "8", "-o",
                     dir.file("c.png"), "--quiet"},
                    dir) == 0);
  CHECK(max_level_difference(load_png(dir.file("c.png")).pixels, a.pixels) > 8);
  REQUIRE(run_glide({"generate", "--from", dir.file("a.png"), "--guidance-scale", "6", "-o",
                     dir.file("d.png"), "--quiet"},
                    dir) == 0);
  CHECK(!torch::equal(load_png(dir.file("d.png")).pixels, a.pixels));
}

TEST_CASE("glide generate --from makes again an image the C ABI saved", "[cli][capi]") {
  GLIDE_REQUIRE_GOLDEN(base_path, "model_text2im.pt");
  GLIDE_REQUIRE_GOLDEN(upsampler_path, "model_superres.pt");
  glide::test::ScratchDir dir("glide-cli-run");
  glide_pipeline* pipeline = glide::test::golden_pipeline(base_path, upsampler_path);
  glide_generate_params gp;
  REQUIRE(glide_generate_params_init(&gp, GLIDE_GENERATE_PARAMS_VERSION) == GLIDE_OK);
  const char* prompts[] = {"a red cube", "a blue ball"};
  gp.prompts = prompts;
  gp.prompt_count = 2;
  gp.batch_size = 2;
  gp.seed = 11;
  gp.base.guidance_scale = 2.0;
  gp.base.respacing = "4";
  gp.upsampler.respacing = "3";
  const std::string save = dir.file("c.png");
  gp.save_path = save.c_str();
  glide_images* images = nullptr;
  const int rc = glide_generate(pipeline, &gp, &images);
  INFO(glide_error_last());
  REQUIRE(rc == GLIDE_OK);
  glide_images_free(images);
  glide_pipeline_free(pipeline);

  // The record names the models and keeps the configs the C caller gave as text.
  REQUIRE(
      run_glide({"generate", "--from", dir.file("c-1.png"), "-o", dir.file("again.png"), "--quiet"},
                dir) == 0);
  // Image 1 of a batch, made alone: within one 8-bit level (batched kernels sum otherwise).
  const auto made = load_png(dir.file("c-1.png")).pixels;
  CHECK(max_level_difference(load_png(dir.file("again.png")).pixels, made) <= 1);
  CHECK(max_level_difference(load_png(dir.file("c-0.png")).pixels, made) > 8);
}

TEST_CASE("each file of a batch records what makes its image alone", "[cli]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  const std::string goldens = *glide::test::goldens_dir();
  glide::test::ScratchDir dir("glide-cli-run");
  const auto flags = model_flags(goldens, dir, "--model", "text2im") +
                     std::vector<std::string>{"--no-upsample", "--base-steps", "4", "--quiet"};
  REQUIRE(run_glide(std::vector<std::string>{"generate", "-n", "3", "-p", "a", "-p", "b", "-p", "c",
                                             "--seed", "20", "-o", dir.file("batch.png")} +
                        flags,
                    dir) == 0);
  for (int k = 0; k < 3; ++k) {
    const std::string file = dir.file("batch-" + std::to_string(k) + ".png");
    const std::string again = dir.file("again-" + std::to_string(k) + ".png");
    REQUIRE(run_glide({"generate", "--from", file, "-o", again, "--quiet"}, dir) == 0);
    INFO("image " << k);
    // Batched kernels may sum in another order: allow one 8-bit level, as the pipeline does.
    CHECK(max_level_difference(load_png(again).pixels, load_png(file).pixels) <= 1);
    CHECK(load_png(again).text.at("seed") == std::to_string(20 + k));
  }
}

TEST_CASE("a user's base model is not paired with the shipped upsampler unasked", "[cli]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  const std::string goldens = *glide::test::goldens_dir();
  glide::test::ScratchDir dir("glide-cli-run");
  const auto base = model_flags(goldens, dir, "--model", "text2im") +
                    std::vector<std::string>{"--base-steps", "2", "--quiet"};
  const auto log = [&] { return glide::test::file_text(dir.file("log.txt")); };
  CHECK(run_glide(std::vector<std::string>{"generate", "-p", "x", "-o", dir.file("a.png")} + base,
                  dir) == 2);
  CHECK(log().find("--model names the base model '" + goldens +
                   "/model_text2im.pt' but no --upsampler-model is given") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("a.png")));
  // Its record names the base model: upsampling it later needs an upsampler named too.
  REQUIRE(run_glide(std::vector<std::string>{"generate", "-p", "x", "--no-upsample", "-o",
                                             dir.file("small.png")} +
                        base,
                    dir) == 0);
  CHECK(run_glide(
            {"generate", "--from", dir.file("small.png"), "--upsample", "-o", dir.file("b.png")},
            dir) == 2);
  CHECK(log().find("the image's record names the base model") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("b.png")));
}

TEST_CASE("--help does not show a negated flag's value as the pair's default", "[cli]") {
  glide::test::ScratchDir dir("glide-cli-run");
  REQUIRE(run_glide({"generate", "--help"}, dir) == 0);
  const std::string help = glide::test::file_text(dir.file("log.txt"));
  CHECK(help.find("--upsample,--no-upsample ") != std::string::npos);
  CHECK(help.find("--base-guided,--no-base-guided") != std::string::npos);
  CHECK(help.find("{false}") == std::string::npos);
}

TEST_CASE("an address-space limit too small for the BLAS is an error, not a hang", "[cli]") {
  // OpenBLAS reserves 128 MiB per thread while loading and retries forever when refused; the
  // program checks first. `timeout` turns a hang back into a failure here.
  glide::test::ScratchDir dir("glide-cli-run");
  const auto run_limited = [&](const std::string& kib) {
    // One BLAS thread whatever the CPU count, so that 600000 KiB is too small everywhere.
    return run_glide({"tokenize", "hi"}, dir,
                     "ulimit -v " + kib + " && OMP_NUM_THREADS=1 timeout 120 ");
  };
  CHECK(run_limited("600000") == 1);
  const std::string log = glide::test::file_text(dir.file("log.txt"));
  CHECK(log.find("the address-space limit (ulimit -v: 585 MiB) leaves too little room") !=
        std::string::npos);
  CHECK(log.find("(1 thread) as it loads, and would retry forever. Raise the limit") !=
        std::string::npos);
  // A limit with room is no obstacle.
  CHECK(run_limited("8000000") == 0);
}

TEST_CASE("glide tokenize: text not UTF-8 is a usage error; a long prompt gets a note", "[cli]") {
  glide::test::ScratchDir dir("glide-cli-run");
  CHECK(run_glide({"tokenize", "caf\xff"}, dir) == 2);  // as generate's --prompt is
  CHECK(glide::test::file_text(dir.file("log.txt"))
            .find("glide: error: text: the text is not valid UTF-8: ill-formed sequence at byte "
                  "offset 3") != std::string::npos);
  // A prompt longer than the text context gets the note generate prints, ids all printed.
  CHECK(run_glide({"tokenize", "--text-ctx", "2", "a b c"}, dir) == 0);
  const std::string log = glide::test::file_text(dir.file("log.txt"));
  CHECK(log.find("glide: note: the prompt has 3 tokens; the model reads only the first 2") !=
        std::string::npos);
  CHECK(log.find("[64,275,269]") != std::string::npos);
}

TEST_CASE("glide inpaint keeps the mask's white part of the input", "[cli]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  const std::string goldens = *glide::test::goldens_dir();
  glide::test::ScratchDir dir("glide-cli-run");
  at::manual_seed(3);
  const torch::Tensor input = at::randint(0, 256, {16, 16, 3}, at::kByte);
  torch::Tensor mask = at::zeros({16, 16, 3}, at::kByte);
  mask.narrow(0, 0, 10).fill_(255);  // keep the top 10 rows
  glide::image::save_png(dir.file("in.png"), input);
  glide::image::save_png(dir.file("mask.png"), mask);
  REQUIRE(run_glide(
              std::vector<std::string>{"inpaint", "--input", dir.file("in.png"), "--mask",
                                       dir.file("mask.png"), "-p", "a door", "--no-upsample",
                                       "--base-steps", "4", "--quiet", "-o", dir.file("out.png")} +
                  model_flags(goldens, dir, "--model", "inpaint"),
              dir) == 0);
  const torch::Tensor out = load_png(dir.file("out.png")).pixels;
  CHECK(max_level_difference(out.narrow(0, 0, 10), input.narrow(0, 0, 10)) <= 1);
  CHECK(max_level_difference(out.narrow(0, 10, 6), input.narrow(0, 10, 6)) > 8);
}

TEST_CASE("a .pt converted from a model file loads as that model with the config convert prints",
          "[cli]") {
  const std::string shipped = glide::default_model_paths().base;
  REQUIRE(std::filesystem::exists(shipped));  // models/ in the source tree
  glide::test::ScratchDir dir("glide-cli-run");
  REQUIRE(run_glide({"convert", shipped, dir.file("base.pt")}, dir) == 0);
  // The note's next line is the JSON object to save; the .pt alone matches no preset.
  const std::string log = glide::test::file_text(dir.file("log.txt"));
  const std::string intro = "save this line as a .json file";
  const size_t at = log.find('\n', log.find(intro));
  REQUIRE(log.find(intro) != std::string::npos);
  const auto config = nlohmann::json::parse(log.substr(at + 1, log.find('\n', at + 1) - at - 1));
  std::ofstream(dir.file("base.json")) << config.dump();
  // shifted_cosine_8 is the shapes model's own schedule, not the official cosine one.
  CHECK(config.at("noise_schedule") == "shifted_cosine_8");
  auto model_only = config;
  for (const char* key : {"diffusion_steps", "noise_schedule", "prediction"}) model_only.erase(key);
  std::ofstream(dir.file("model-only.json")) << model_only.dump();

  const std::vector<std::string> gen = {"generate",     "-p", "a red cube",
                                        "--seed",       "3",  "--no-upsample",
                                        "--base-steps", "4",  "--quiet"};
  REQUIRE(run_glide(gen + std::vector<std::string>{"--model", shipped, "-o", dir.file("a.png")},
                    dir) == 0);
  CHECK(run_glide(gen + std::vector<std::string>{"--model", dir.file("base.pt"), "-o",
                                                 dir.file("none.png")},
                  dir) == 1);
  CHECK(glide::test::file_text(dir.file("log.txt")).find("give the model's config") !=
        std::string::npos);
  REQUIRE(run_glide(gen + std::vector<std::string>{"--model", dir.file("base.pt"), "--model-config",
                                                   dir.file("base.json"), "-o", dir.file("b.png")},
                    dir) == 0);
  CHECK(torch::equal(load_png(dir.file("a.png")).pixels, load_png(dir.file("b.png")).pixels));
  // The comparison can fail: without its diffusion keys the model samples another schedule.
  REQUIRE(run_glide(
              gen + std::vector<std::string>{"--model", dir.file("base.pt"), "--model-config",
                                             dir.file("model-only.json"), "-o", dir.file("c.png")},
              dir) == 0);
  CHECK(max_level_difference(load_png(dir.file("a.png")).pixels,
                             load_png(dir.file("c.png")).pixels) > 8);
}

TEST_CASE("glide train writes, resumes and exports; bad flags are usage errors", "[cli]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  const std::string goldens = *glide::test::goldens_dir();
  glide::test::ScratchDir dir("glide-cli-run");
  // The golden text-to-image model's config: a 16x16 model that trains in a second.
  const std::string config = model_flags(goldens, dir, "--model", "text2im")[3];
  const std::vector<std::string> train = {"train",
                                          "--model-config",
                                          config,
                                          "--checkpoint",
                                          dir.file("run.safetensors"),
                                          "--batch-size",
                                          "2"};
  REQUIRE(run_glide(train + std::vector<std::string>{"--steps", "2", "--export",
                                                     dir.file("model.safetensors")},
                    dir) == 0);
  CHECK(glide::test::file_text(dir.file("log.txt")).find("step 2/2") != std::string::npos);
  // The export records its config: generate loads it without --model-config.
  REQUIRE(run_glide({"generate", "-p", "a cube", "--model", dir.file("model.safetensors"),
                     "--no-upsample", "--base-steps", "2", "--quiet", "-o", dir.file("out.png")},
                    dir) == 0);
  CHECK(load_png(dir.file("out.png")).pixels.size(0) == 16);
  // convert would strip what makes the checkpoint one (and write no model): refused.
  CHECK(run_glide({"convert", dir.file("run.safetensors"), dir.file("run.pt")}, dir) == 1);
  CHECK(glide::test::file_text(dir.file("log.txt"))
            .find("run.safetensors' is a training checkpoint") != std::string::npos);

  // The same command again resumes from the checkpoint (here: finds the run complete); other
  // options than the checkpoint's are refused.
  REQUIRE(run_glide(train + std::vector<std::string>{"--steps", "2"}, dir) == 0);
  CHECK(glide::test::file_text(dir.file("log.txt")).find("at step 2/2") != std::string::npos);
  CHECK(run_glide(train + std::vector<std::string>{"--steps", "3"}, dir) == 1);
  CHECK(glide::test::file_text(dir.file("log.txt")).find("another recipe (steps: 2") !=
        std::string::npos);

  // A bad value names the flag and exits 2; an existing export is refused before training.
  const std::string before = glide::test::file_text(dir.file("run.safetensors"));
  CHECK(run_glide(train + std::vector<std::string>{"--steps", "4", "--batch-size", "0"}, dir) == 2);
  CHECK(glide::test::file_text(dir.file("log.txt")).find("--batch-size: batch_size=0") !=
        std::string::npos);
  CHECK(run_glide(train + std::vector<std::string>{"--steps", "4", "--lr", "-1"}, dir) == 2);
  CHECK(glide::test::file_text(dir.file("log.txt")).find("--lr: learning_rate=-1") !=
        std::string::npos);
  CHECK(run_glide({"train", "--model-config", config, "--checkpoint", dir.file("run.pt")}, dir) ==
        2);
  CHECK(glide::test::file_text(dir.file("log.txt")).find("--checkpoint: checkpoint_path=") !=
        std::string::npos);
  // A folder replaces the synthetic dataset, whose flags would then be ignored: refused together.
  CHECK(run_glide(train + std::vector<std::string>{"--images", dir.path().string(),
                                                   "--dataset-seed", "3"},
                  dir) == 2);
  CHECK(glide::test::file_text(dir.file("log.txt")).find("--dataset-seed excludes --images") !=
        std::string::npos);
  CHECK(run_glide(train + std::vector<std::string>{"--images", ""}, dir) == 2);
  CHECK(glide::test::file_text(dir.file("log.txt")).find("give a folder, not an empty name") !=
        std::string::npos);
  CHECK(run_glide(train + std::vector<std::string>{"--steps", "4", "--export",
                                                   dir.file("model.safetensors")},
                  dir) == 1);
  CHECK(glide::test::file_text(dir.file("run.safetensors")) == before);  // not a step was trained
  // One file for the export and the checkpoint would lose the run, even with --overwrite.
  CHECK(run_glide(train + std::vector<std::string>{"--steps", "4", "--overwrite", "--export",
                                                   dir.file("run.safetensors")},
                  dir) == 1);
  CHECK(
      glide::test::file_text(dir.file("log.txt")).find("the export and the checkpoint are both") !=
      std::string::npos);
  CHECK(run_glide(train + std::vector<std::string>{"--steps", "4", "--export",
                                                   dir.file("no-folder/model.safetensors")},
                  dir) == 1);
  CHECK(glide::test::file_text(dir.file("log.txt")).find("no-folder' does not exist") !=
        std::string::npos);
  CHECK(glide::test::file_text(dir.file("run.safetensors")) == before);
  // CLI11's refusals are glide's errors too; seeds are read as generate reads them (CLI11 read
  // -1 and 2^64 as 2^64 - 1, and 0x10 as 16).
  for (const std::string seed : {"-1", "18446744073709551616", "0x10"}) {
    CHECK(run_glide(train + std::vector<std::string>{"--seed", seed}, dir) == 2);
    CHECK(glide::test::file_text(dir.file("log.txt"))
              .find("glide: error: --seed: \"" + seed +
                    "\" is not a seed (an integer from 0 to 18446744073709551615)") !=
          std::string::npos);
  }
  CHECK(run_glide(train + std::vector<std::string>{"--dataset", "mnist"}, dir) == 2);
  CHECK(glide::test::file_text(dir.file("log.txt"))
            .find("glide: error: --dataset: mnist not in {shapes}") != std::string::npos);
  CHECK(run_glide(train + std::vector<std::string>{"--upsample-factor", "2"}, dir) == 2);
  CHECK(
      glide::test::file_text(dir.file("log.txt")).find("--upsample-factor applies to upsamplers") !=
      std::string::npos);
}

TEST_CASE("glide train goes on unguarded where the file system keeps no locks", "[cli]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  const std::string goldens = *glide::test::goldens_dir();
  glide::test::ScratchDir dir("glide-cli-run");
  const std::string config = model_flags(goldens, dir, "--model", "text2im")[3];
  const std::string checkpoint = dir.file("run.safetensors");
  // Without the lock, a temporary checkpoint may be another trainer's save in progress.
  const std::string other_save = glide::test::write_file(checkpoint + ".tmp-a1B2c3", "saving");
  // flock answers ENOLCK in the preloaded library, as on file systems that keep no locks.
  const std::string no_locks = "LD_PRELOAD=" + quoted(GLIDE_TEST_NO_LOCKS) + " ";
  const std::vector<std::string> train = {"train",    "--model-config", config, "--checkpoint",
                                          checkpoint, "--batch-size",   "2",    "--steps",
                                          "1"};
  REQUIRE(run_glide(train, dir, no_locks) == 0);
  const std::string log = glide::test::file_text(dir.file("log.txt"));
  INFO(log);
  CHECK(log.find("keeps no locks: nothing stops another trainer") != std::string::npos);
  CHECK(std::filesystem::exists(checkpoint));
  CHECK(glide::test::file_text(other_save) == "saving");
  CHECK_FALSE(std::filesystem::exists(checkpoint + ".lock"));
  // With locks (no preload) the same run, resumed (and found complete), holds its lock and says
  // nothing of it.
  std::filesystem::remove(dir.file("log.txt"));
  REQUIRE(run_glide(train, dir) == 0);
  CHECK(glide::test::file_text(dir.file("log.txt")).find("keeps no locks") == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(other_save));  // a lock holder clears stale saves
}

TEST_CASE("Ctrl-C saves the training checkpoint and ends glide by the signal", "[cli]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  const std::string goldens = *glide::test::goldens_dir();
  glide::test::ScratchDir dir("glide-cli-run");
  const std::string config = model_flags(goldens, dir, "--model", "text2im")[3];
  const std::string checkpoint = dir.file("run.safetensors");
  const std::string log = dir.file("log.txt");
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    glide::test::default_ending_signals();
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, STDERR_FILENO);
    ::execl(GLIDE_CLI_PROGRAM, "glide", "train", "--model-config", config.c_str(), "--checkpoint",
            checkpoint.c_str(), "--batch-size", "2", "--steps", "1000000", "--checkpoint-every",
            "1", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // The first checkpoint is written after the first step, inside the training loop.
  for (int waited = 0; !std::filesystem::exists(checkpoint) && waited < 1200; ++waited) {
    ::usleep(50000);
  }
  ::usleep(200000);
  ::kill(pid, SIGINT);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  INFO(glide::test::file_text(log));
  CHECK(WIFSIGNALED(status));
  CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGINT));
  CHECK(glide::test::file_text(log).find("interrupted: checkpoint saved at step") !=
        std::string::npos);
  // Only the checkpoint is left beside the config and the log: no lock, no temporary file.
  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    left.push_back(entry.path().filename().string());
  }
  std::sort(left.begin(), left.end());
  CHECK(left == std::vector<std::string>{"log.txt", "run.safetensors", "text2im.json"});
}

TEST_CASE("glide info shows a PNG's text without letting it drive the terminal", "[cli]") {
  glide::test::ScratchDir dir("glide-cli-run");
  // Named .PNG: recognized by its signature, not its name.
  glide::image::save_png(dir.file("note.PNG"), torch::zeros({2, 2, 3}, torch::kUInt8),
                         {{"Comment", "clear\x1b[2Jscreen\nforged: line"}});
  REQUIRE(run_glide({"info", dir.file("note.PNG")}, dir) == 0);
  const std::string log = glide::test::file_text(dir.file("log.txt"));
  CHECK(log.find("text: Comment = clear\\x1b[2Jscreen\\nforged: line") != std::string::npos);
  CHECK(log.find('\x1b') == std::string::npos);
}

TEST_CASE("error messages quote file content without letting it drive the terminal", "[cli]") {
  glide::test::ScratchDir dir("glide-cli-run");
  // A record whose key holds ESC, the C1 control CSI and a NUL: the message names the key.
  const std::string key = R"(k\u001b[2J\u009b\u0000end)";
  glide::image::save_png(dir.file("r.png"), torch::zeros({2, 2, 3}, torch::kUInt8),
                         {{"glide_parameters", "{\"" + key + "\": 1, \"" + key + "\": 2}"}});
  CHECK(run_glide({"generate", "--from", dir.file("r.png")}, dir) == 1);
  const std::string log = glide::test::file_text(dir.file("log.txt"));
  CHECK(log.find("gives the key \"k\\x1b[2J\\u009b\\x00end\" twice") != std::string::npos);
  CHECK(log.find('\x1b') == std::string::npos);
  CHECK(log.find("\xc2\x9b") == std::string::npos);

  // Notes and progress lines quote prompts and paths too: a prompt read from someone's PNG by
  // --from set the window title and cleared the screen in the long-prompt note.
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  std::string prompt = "\x1b]0;title\x07\x1b[2J";
  for (int i = 0; i < 30; ++i) prompt += " w";
  REQUIRE(run_glide(std::vector<std::string>{"generate", "-p", prompt, "--no-upsample",
                                             "--base-steps", "2", "-o", dir.file("esc\x1b.png")} +
                        model_flags(*glide::test::goldens_dir(), dir, "--model", "text2im"),
                    dir) == 0);
  const std::string noted = glide::test::file_text(dir.file("log.txt"));
  CHECK(noted.find("the prompt \"\\x1b]0;title\\x07\\x1b[2J w w") != std::string::npos);
  CHECK(noted.find("wrote ") != std::string::npos);
  CHECK(noted.find("esc\\x1b.png") != std::string::npos);
  CHECK(noted.find('\x1b') == std::string::npos);

  CHECK(run_glide({"bogus"}, dir) == 2);
  CHECK(glide::test::file_text(dir.file("log.txt"))
            .find("glide: error: unknown command 'bogus'; the commands are generate, upsample") !=
        std::string::npos);
}

TEST_CASE("glide info and --from on repeated, foreign and control-laden PNG text", "[cli]") {
  glide::test::ScratchDir dir("glide-cli-run");
  // The bytes of a PNG's first text chunk (length, type, data, CRC).
  const auto text_chunk = [](const std::string& png) {
    for (size_t at = 8; at + 8 <= png.size();) {
      const auto byte = [&](size_t i) {
        return static_cast<uint32_t>(static_cast<uint8_t>(png[i]));
      };
      const uint32_t length =
          byte(at) << 24 | byte(at + 1) << 16 | byte(at + 2) << 8 | byte(at + 3);
      const std::string type = png.substr(at + 4, 4);
      if (type == "tEXt" || type == "zTXt" || type == "iTXt") return png.substr(at, 12 + length);
      at += 12 + length;
    }
    FAIL("no text chunk");
    return std::string();
  };
  const torch::Tensor pixels = torch::zeros({2, 2, 3}, torch::kUInt8);
  std::string two = glide::image::encode_png(pixels, {{"glide_parameters", "{\"a\": 1}"}});
  const std::string chunk = text_chunk(two);
  two.insert(two.find(chunk) + chunk.size(),
             text_chunk(glide::image::encode_png(pixels, {{"glide_parameters", "{\"b\": 2}"}})));
  std::ofstream(dir.file("two.png"), std::ios::binary) << two;
  CHECK(run_glide({"generate", "--from", dir.file("two.png")}, dir) == 1);
  CHECK(glide::test::file_text(dir.file("log.txt"))
            .find("holds more than one glide_parameters text chunk") != std::string::npos);
  REQUIRE(run_glide({"info", dir.file("two.png")}, dir) == 0);
  CHECK(glide::test::file_text(dir.file("log.txt"))
            .find("text: glide_parameters = {\"b\": 2} (the last of several chunks") !=
        std::string::npos);

  // Named .png but not one: said in PNG terms, not "not a checkpoint".
  std::ofstream(dir.file("fake.png")) << "not a picture";
  CHECK(run_glide({"info", dir.file("fake.png")}, dir) == 1);
  CHECK(glide::test::file_text(dir.file("log.txt")).find("fake.png' is not a PNG file") !=
        std::string::npos);
  // A JPEG, by its signature whatever its name: said so, not "not a checkpoint".
  std::ofstream(dir.file("photo.bin"), std::ios::binary) << std::string("\xFF\xD8\xFF\xE0", 4);
  CHECK(run_glide({"info", dir.file("photo.bin")}, dir) == 1);
  CHECK(glide::test::file_text(dir.file("log.txt")).find("photo.bin' is a JPEG image") !=
        std::string::npos);

  // --json escapes C1 controls as it does C0 ones (U+009B starts an escape sequence).
  glide::image::save_png(dir.file("c1.png"), pixels, {{"Comment", "x\xc2\x9by\x1b"}});
  REQUIRE(run_glide({"info", "--json", dir.file("c1.png")}, dir) == 0);
  const std::string log = glide::test::file_text(dir.file("log.txt"));
  CHECK(log.find("x\\u009by\\u001b") != std::string::npos);
  CHECK(log.find("\xc2\x9b") == std::string::npos);
}
