// The command line's parameter plumbing: the field table, flags over --from parameters, the
// JSON kept in PNGs, --vary axes and the sweep's grid, CSV quoting and the contact sheet.
#include <fstream>

#include "contact_sheet.hpp"
#include "glide/image/png.hpp"
#include "glide/version.hpp"
#include "image_output.hpp"
#include "inpaint_inputs.hpp"
#include "param_flags.hpp"
#include "pipeline/param_fields.hpp"
#include "png_record.hpp"
#include "support/catch_torch.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"
#include "sweep_csv.hpp"
#include "sweep_plan.hpp"
#include "usage_error.hpp"

using namespace glide;
using namespace glide::cli;

namespace {

std::string text_of(const GenerationParams& p, const std::string& name) {
  return field_text(*find_param_field(name), p);
}

// A GenerationParams with every field away from its default.
GenerationParams unusual_params() {
  GenerationParams p;
  p.prompts = {"a red cube", "a \"blue\" sphere, small"};
  p.batch_size = 2;
  p.negative_prompt = "blurry";
  p.seed = 18446744073709551615ull;
  p.dtype = torch::kBFloat16;
  p.upsample = false;
  p.base.sampler = "ddim";
  p.base.respacing = "10,10,5";
  p.base.eta = 0.1;
  p.base.guidance_scale = 0.1 + 0.2;  // not exactly 0.3: the text form must still read back
  p.base.guidance_rescale = 0.7;
  p.base.thresholding = "dynamic";
  p.base.dynamic_percentile = 0.9;
  p.base.temperature = 0.95;
  p.upsampler.guided = true;
  p.upsampler.respacing = "ddim7";
  return p;
}

// Parses `args` (after the program name) into a command holding ParamFlags.
struct ParsedFlags {
  CLI::App app;
  std::unique_ptr<ParamFlags> flags;
  explicit ParsedFlags(std::vector<std::string> args) {
    flags = std::make_unique<ParamFlags>(&app, FlagSet{});
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    app.parse(args);
  }
};

template <typename Fn>
std::string usage_error_of(Fn&& fn) {
  try {
    fn();
  } catch (const UsageError& e) {
    return e.what();
  }
  FAIL("expected a UsageError");
  return {};
}

}  // namespace

TEST_CASE("parameter fields by name, aliases included", "[cli]") {
  CHECK(find_param_field("guidance_scale")->name == "base.guidance_scale");
  CHECK(find_param_field("base.guidance_scale")->name == "base.guidance_scale");
  CHECK(find_param_field("upsampler.steps")->name == "upsampler.respacing");
  CHECK(find_param_field("steps")->name == "base.respacing");
  CHECK(find_param_field("prompt")->name == "prompts");
  CHECK(find_param_field("seed")->name == "seed");
  CHECK(find_param_field("upsampler.seed") == nullptr);
  CHECK(find_param_field("base.nonsense") == nullptr);
  CHECK(find_param_field("nonsense") == nullptr);
  CHECK(param_fields().size() == 7 + 2 * 9);
}

TEST_CASE("field text forms parse back to the same values", "[cli]") {
  GenerationParams p;
  set_field_text(*find_param_field("guidance_scale"), p, "0.1");
  CHECK(p.base.guidance_scale == 0.1);
  CHECK(text_of(p, "base.guidance_scale") == "0.1");
  set_field_text(*find_param_field("upsampler.eta"), p, "0.5");
  CHECK(p.upsampler.eta == 0.5);
  set_field_text(*find_param_field("upsampler.eta"), p, "default");
  CHECK(!p.upsampler.eta.has_value());
  CHECK(text_of(p, "upsampler.eta") == "default");
  set_field_text(*find_param_field("seed"), p, "18446744073709551615");
  CHECK(p.seed == 18446744073709551615ull);
  set_field_text(*find_param_field("device"), p, "cuda:1");
  CHECK(text_of(p, "device") == "cuda:1");
  set_field_text(*find_param_field("dtype"), p, "bfloat16");
  CHECK(p.dtype == torch::kBFloat16);
  set_field_text(*find_param_field("upsample"), p, "false");
  CHECK(!p.upsample);

  for (const auto& [name, bad] :
       std::vector<std::pair<std::string, std::string>>{{"seed", "-1"},
                                                        {"seed", "18446744073709551616"},
                                                        {"seed", "1.5"},
                                                        {"base.guidance_scale", "three"},
                                                        {"base.guidance_scale", ""},
                                                        {"base.guidance_scale", "3x"},
                                                        {"batch_size", "2.5"},
                                                        {"dtype", "bf16"},
                                                        {"device", "gpu"},
                                                        {"upsample", "maybe"}}) {
    INFO(name << " = " << bad);
    CHECK_THROWS_AS(set_field_text(*find_param_field(name), p, bad), Error);
  }
}

TEST_CASE("parameters survive the JSON round trip exactly", "[cli]") {
  const GenerationParams p = unusual_params();
  const GenerationParams back = params_from_json(nlohmann::json::parse(params_to_json(p).dump()));
  for (const ParamField& f : param_fields()) {
    INFO(f.name);
    CHECK(field_text(f, back) == field_text(f, p));
  }
  CHECK(back.base.guidance_scale == p.base.guidance_scale);
  CHECK(back.prompts == p.prompts);

  auto json = params_to_json(p);
  json["base"]["guidance_scal"] = 3;
  CHECK_THROWS_WITH(params_from_json(json), Catch::Contains("base.guidance_scal"));
  json = params_to_json(p);
  json["seed"] = "zero";
  CHECK_THROWS_WITH(params_from_json(json), Catch::Contains("seed"));
  json = params_to_json(p);
  json["base"]["eta"] = nullptr;
  CHECK(!params_from_json(json).base.eta.has_value());
  json = params_to_json(p);
  json["base"] = nullptr;
  CHECK_THROWS_WITH(params_from_json(json),
                    Catch::Contains("\"base\" is null; expected an object"));
  json = params_to_json(p);
  json["batch_size"] = std::numeric_limits<uint64_t>::max();  // would wrap to -1 as an int64
  CHECK_THROWS_WITH(params_from_json(json), Catch::Contains("batch_size"));
}

TEST_CASE("flags apply only when given, over the starting parameters", "[cli]") {
  ParsedFlags parsed({"--guidance-scale", "5", "--upsampler-steps", "ddim10", "--no-upsample",
                      "--base-eta=0.25", "-p", "a cat"});
  GenerationParams start;
  start.seed = 9;  // as if reloaded with --from
  start.base.sampler = "ddim";
  const GenerationParams p = parsed.flags->apply(start);
  CHECK(p.base.guidance_scale == 5.0);
  CHECK(p.base.eta == 0.25);
  CHECK(p.upsampler.respacing == "ddim10");
  CHECK(!p.upsample);
  CHECK(p.prompts == std::vector<std::string>{"a cat"});
  CHECK(p.seed == 9);
  CHECK(p.base.sampler == "ddim");
  CHECK(p.upsampler.sampler == StageParams::upsampler_defaults().sampler);
}

TEST_CASE("flags that the other parameters make pointless get a note", "[cli]") {
  const auto notes_of = [](std::vector<std::string> args) {
    ParsedFlags parsed(std::move(args));
    return parsed.flags->ineffective_flags(parsed.flags->apply({}));
  };
  // GLIDE's upsampler is unguided: its guidance scale alone changes nothing.
  CHECK(notes_of({"--upsampler-guidance-scale", "4"}) ==
        std::vector<std::string>{"--upsampler-guidance-scale has no effect: the upsampler stage "
                                 "is unguided (add --upsampler-guided)"});
  CHECK(notes_of({"--upsampler-guidance-scale", "4", "--upsampler-guided"}).empty());
  CHECK(
      notes_of({"--guidance-scale", "4", "--guidance-rescale", "0.5", "--no-base-guided"}).size() ==
      2);
  CHECK(notes_of({"--base-dynamic-percentile", "0.9"}) ==
        std::vector<std::string>{"--base-dynamic-percentile/--dynamic-percentile has no effect: "
                                 "the base stage's thresholding is clip (add --base-thresholding "
                                 "dynamic)"});
  CHECK(notes_of({"--dynamic-percentile", "0.9", "--thresholding", "dynamic"}).empty());
  CHECK(notes_of({"--upsampler-steps", "10", "--no-upsample"}) ==
        std::vector<std::string>{"--upsampler-steps has no effect: the upsampler does not run"});
  CHECK(notes_of({"--negative-prompt", "blur", "--no-base-guided"}) ==
        std::vector<std::string>{"--negative-prompt has no effect: no stage is guided, and only "
                                 "guidance reads it"});
  CHECK(notes_of({"--negative-prompt", "blur"}).empty());
  // Only flags given: the defaults' own unguided upsampler scale is nobody's mistake.
  CHECK(notes_of({"-p", "a cat"}).empty());

  // Across several runs (a sweep's cells): a note only for a flag no run reads, with each reason.
  ParsedFlags parsed({"--upsampler-guidance-scale", "4", "--dynamic-percentile", "0.9"});
  GenerationParams upsampled = parsed.flags->apply({});
  GenerationParams base_only = upsampled;
  base_only.upsample = false;
  base_only.base.thresholding = "dynamic";
  CHECK(parsed.flags->ineffective_flags({&upsampled, &base_only}, {}) ==
        std::vector<std::string>{"--upsampler-guidance-scale has no effect: the upsampler stage "
                                 "is unguided (add --upsampler-guided), or the upsampler does not "
                                 "run"});
  CHECK(parsed.flags->ineffective_flags({&upsampled, &base_only}, {"upsampler.guidance_scale"})
            .empty());
}

TEST_CASE("bad flag values and invalid parameters name the flag", "[cli]") {
  {
    ParsedFlags parsed({"--base-eta", "abc"});
    CHECK_THAT(usage_error_of([&] { parsed.flags->apply({}); }),
               Catch::Contains("--base-eta") && Catch::Contains("abc"));
  }
  {
    // The library's "" (every step) is refused on the command line: an unset shell variable.
    ParsedFlags parsed({"--upsampler-steps", ""});
    CHECK_THAT(usage_error_of([&] { parsed.flags->apply({}); }),
               Catch::StartsWith("--upsampler-steps: the value is empty"));
  }
  ParsedFlags parsed({"--guidance-scale=-1", "-p", "x"});
  const GenerationParams p = parsed.flags->apply({});
  CHECK_THAT(usage_error_of([&] { parsed.flags->validate(p); }),
             Catch::Contains("--base-guidance-scale/--guidance-scale") &&
                 Catch::Contains("base.guidance_scale is -1"));

  GenerationParams q;
  q.prompts = {"x"};
  q.upsampler.sampler = "plms";
  CHECK_THAT(usage_error_of([&] { parsed.flags->validate(q); }),
             Catch::Contains("--upsampler-sampler"));
  q = GenerationParams{};
  q.prompts = {"a", "b", "c"};
  CHECK_THAT(usage_error_of([&] { parsed.flags->validate(q); }), Catch::StartsWith("--prompt"));
  q = GenerationParams{};
  q.prompts = {"x"};
  q.base.respacing = "50";
  parsed.flags->validate(q);  // 50 of 1000 steps
  CHECK_THAT(usage_error_of([&] { parsed.flags->validate(q, /*base_steps=*/40); }),
             Catch::Contains("--base-steps"));
}

TEST_CASE("--vary specs", "[cli]") {
  const SweepAxis a = parse_vary("guidance_scale=1,3,5");
  CHECK(a.field->name == "base.guidance_scale");
  CHECK(a.values == std::vector<std::string>{"1", "3", "5"});
  const SweepAxis b = parse_vary("base.steps=10,10,5;ddim25");
  CHECK(b.field->name == "base.respacing");
  CHECK(b.values == std::vector<std::string>{"10,10,5", "ddim25"});
  CHECK(parse_vary("prompt=a cat").values == std::vector<std::string>{"a cat"});
  CHECK_THAT(usage_error_of([] { parse_vary("guidance=1,2"); }), Catch::Contains("guidance"));
  CHECK_THROWS_AS(parse_vary("seed"), UsageError);
  CHECK_THROWS_AS(parse_vary("=1,2"), UsageError);
  CHECK_THROWS_AS(parse_vary("seed="), UsageError);
}

TEST_CASE("a sweep's cells: rows the first axis, columns the others, second axis slowest",
          "[cli]") {
  GenerationParams start;
  start.prompts = {"x"};
  start.seed = 7;
  const SweepPlan plan =
      plan_sweep(start, {parse_vary("guidance_scale=1,3,5"), parse_vary("sampler=ddpm,ddim"),
                         parse_vary("temperature=0.9,1")});
  REQUIRE(plan.cells.size() == 12);
  CHECK(plan.rows == 3);
  CHECK(plan.columns == 4);
  // Cell 6: row 1 (scale 3), column 2 = (ddim, 0.9).
  const SweepCell& c = plan.cells[6];
  CHECK(c.row == 1);
  CHECK(c.column == 2);
  CHECK(c.params.base.guidance_scale == 3.0);
  CHECK(c.params.base.sampler == "ddim");
  CHECK(c.params.base.temperature == 0.9);
  CHECK(c.values == std::vector<std::string>{"3", "ddim", "0.9"});
  for (const SweepCell& cell : plan.cells) CHECK(cell.params.seed == 7);

  const SweepPlan seeds = plan_sweep(start, {parse_vary("seed=0,1")});
  CHECK(seeds.columns == 1);
  CHECK(seeds.cells[1].params.seed == 1);

  CHECK_THROWS_AS(plan_sweep(start, {}), UsageError);
  CHECK_THROWS_AS(plan_sweep(start, {parse_vary("seed=1"), parse_vary("eta=0"),
                                     parse_vary("temperature=1"), parse_vary("sampler=ddim")}),
                  UsageError);
  CHECK_THAT(
      usage_error_of([&] {
        plan_sweep(start, {parse_vary("guidance_scale=1"), parse_vary("base.guidance_scale=2")});
      }),
      Catch::Contains("both set base.guidance_scale"));
  CHECK_THROWS_AS(plan_sweep(start, {parse_vary("batch_size=1,2")}), UsageError);
  // A value given twice, as the field reads it, would only repeat a row.
  CHECK_THAT(usage_error_of([&] { plan_sweep(start, {parse_vary("guidance_scale=2,3,2.0")}); }),
             Catch::Contains("--vary guidance_scale=2,3,2.0: 2 is listed twice"));
  CHECK_THAT(usage_error_of([&] { plan_sweep(start, {parse_vary("guidance_scale=0,-0")}); }),
             Catch::Contains("0 is listed twice"));
  CHECK_THAT(usage_error_of([&] { plan_sweep(start, {parse_vary("guidance_scale=1,0x10")}); }),
             Catch::Contains("0x10"));
  CHECK_THAT(usage_error_of([&] { plan_sweep(start, {parse_vary("base.steps=2,2,1")}); }),
             Catch::Contains("2 is listed twice; give each value once (a respacing of several "
                             "sections, such as 10,10,5, is one value when the values are "
                             "separated by ';')"));
  CHECK(plan_sweep(start, {parse_vary("base.steps=2,2,1;3")}).cells.size() == 2);
  // Respacings are compared as the timesteps they keep, not as text.
  CHECK_THAT(usage_error_of([&] { plan_sweep(start, {parse_vary("base.steps=2;02")}); }),
             Catch::Contains("--vary base.steps=2;02: 2 and 02 are the same value"));
  CHECK_THAT(usage_error_of([&] { plan_sweep(start, {parse_vary("base.steps=ddim5;ddim 5")}); }),
             Catch::Contains("ddim5 and ddim 5 are the same value"));
  CHECK(plan_sweep(start, {parse_vary("base.steps=5;ddim5;fast27;10,10,3,2,2")}).cells.size() == 4);
  CHECK_THAT(usage_error_of([&] { plan_sweep(start, {parse_vary("base.steps=2;x")}); }),
             Catch::Contains("--vary base.steps=2;x: timestep respacing 'x'"));
  CHECK_THAT(usage_error_of([&] { plan_sweep(start, {parse_vary("seed=1,x")}); }),
             Catch::Contains("--vary seed=1,x"));

  // An axis needs a cell that reads it: an upsampler axis one that upsamples, a guidance axis a
  // guided one.
  GenerationParams base_only = start;
  base_only.upsample = false;
  CHECK_THAT(
      usage_error_of([&] { plan_sweep(base_only, {parse_vary("upsampler.sampler=ddim,ddpm")}); }),
      Catch::Contains("--vary upsampler.sampler=ddim,ddpm would change nothing in any cell: the "
                      "upsampler does not run"));
  // Unread for different reasons in different cells: each reason is named.
  CHECK_THAT(
      usage_error_of([&] {
        plan_sweep(start,
                   {parse_vary("upsample=true,false"), parse_vary("upsampler.guidance_scale=1,3")});
      }),
      Catch::EndsWith("the upsampler stage is unguided (add --upsampler-guided), or the upsampler "
                      "does not run"));
  base_only.upsampler.guided = true;
  CHECK(plan_sweep(base_only,
                   {parse_vary("upsample=false,true"), parse_vary("upsampler.guidance_scale=1,5")})
            .cells.size() == 4);
  // GLIDE's upsampler is unguided by default.
  CHECK_THAT(
      usage_error_of([&] { plan_sweep(start, {parse_vary("upsampler.guidance_scale=1,3")}); }),
      Catch::Contains("the upsampler stage is unguided (add --upsampler-guided)"));
  GenerationParams unguided = start;
  unguided.base.guided = false;
  CHECK_THAT(usage_error_of([&] { plan_sweep(unguided, {parse_vary("guidance_scale=1,3")}); }),
             Catch::Contains("--vary guidance_scale=1,3 would change nothing in any cell: the base "
                             "stage is unguided"));
  CHECK_THAT(
      usage_error_of([&] { plan_sweep(start, {parse_vary("dynamic_percentile=0.9,0.99")}); }),
      Catch::Contains("thresholding is clip"));
  CHECK_THAT(usage_error_of([&] { plan_sweep(unguided, {parse_vary("negative_prompt=a,b")}); }),
             Catch::Contains("no stage is guided"));
  // Read in some cells: allowed.
  CHECK(
      plan_sweep(unguided, {parse_vary("guidance_scale=1,3"), parse_vary("base.guided=false,true")})
          .cells.size() == 4);
  // An empty respacing would be every one of the model's steps: refused, as the flags refuse it.
  CHECK_THAT(usage_error_of([] { parse_vary("steps=2,"); }),
             Catch::Contains("--vary steps=2,: the value is empty"));
  CHECK_THROWS_AS(parse_vary("upsampler.steps=fast27;"), UsageError);
  CHECK(parse_vary("negative_prompt=,blur").values == std::vector<std::string>{"", "blur"});
}

TEST_CASE("CSV fields are quoted only when they need it", "[cli]") {
  CHECK(csv_field("ddim") == "ddim");
  CHECK(csv_field("10,10,5") == "\"10,10,5\"");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  // A prompt a spreadsheet would run as a formula stays text; negative numbers stay numbers.
  CHECK(csv_field("=HYPERLINK(\"http://x\")") == "\"'=HYPERLINK(\"\"http://x\"\")\"");
  CHECK(csv_field("@SUM(A1)") == "'@SUM(A1)");
  CHECK(csv_field("-0.5") == "-0.5");
  CHECK(csv_field("+cmd") == "'+cmd");
  CHECK(csv_line({"a", "b,c", ""}) == "a,\"b,c\",\n");
  const std::vector<std::string> header = sweep_csv_header();
  CHECK(header.size() == 3 + param_fields().size() + 11);
  CHECK(header.back() == "error");
  // A cell that made no image: empty statistics, the reason last.
  SweepCell cell;
  image::ImageStats stats;
  stats.contrast = 0.25;
  const auto made = sweep_csv_row(4, cell, 1.5, &stats, 32, 16);
  REQUIRE(made.size() == header.size());
  CHECK(made[header.size() - 6] == "0.25");  // contrast
  CHECK(made[header.size() - 3] == "32");    // width
  CHECK(made.back().empty());
  const auto failed = sweep_csv_row(4, cell, 1.5, nullptr, 32, 32, "came out as NaN");
  REQUIRE(failed.size() == header.size());
  for (size_t i = header.size() - 10; i < header.size() - 3; ++i) CHECK(failed[i].empty());
  CHECK(failed[header.size() - 11] == "1.500");  // seconds
  CHECK(failed.back() == "came out as NaN");
}

TEST_CASE("the labelled contact sheet's layout", "[cli]") {
  // Four 8x8 images, 2 columns; labels "r0"/"r1" (11 px wide) and one line per column.
  std::vector<torch::Tensor> images;
  for (int i = 0; i < 4; ++i) images.push_back(torch::full({8, 8, 3}, 40 * i, torch::kUInt8));
  SheetLabels labels{"", {"r0", "r1"}, {{"a"}, {"b"}}};
  const torch::Tensor sheet = labelled_sheet(images, 2, labels);
  // Left margin 11 + 4 = 15, top 4 + 8 = 12; grid 2 * 8 + 3 * 4 = 28 each way.
  CHECK(sheet.sizes() == at::IntArrayRef{12 + 28, 15 + 28, 3});
  // Image 3 (row 1, column 1) starts at y = 12 + 4 + 8 + 4, x = 15 + 4 + 8 + 4.
  CHECK(sheet[28][31][0].item<int>() == 120);
  CHECK(sheet[12 + 4][15 + 4][0].item<int>() == 0);
  CHECK(sheet.narrow(1, 0, 15).narrow(0, 12, 28).min().item<int>() == 0);  // row labels drawn
  CHECK(sheet.narrow(0, 0, 12).min().item<int>() == 0);                    // column labels drawn

  // A reference image (an inpainting sweep's input) goes under its caption, above the labels:
  // caption 8 + image 6 + gap 4 = 18 more rows, the grid moved down by as much.
  labels.reference = torch::full({6, 6, 3}, 200, torch::kUInt8);
  labels.reference_caption = "in";
  const torch::Tensor with_reference = labelled_sheet(images, 2, labels);
  CHECK(with_reference.sizes() == at::IntArrayRef{18 + 12 + 28, 15 + 28, 3});
  CHECK(with_reference.narrow(0, 4 + 8, 6).narrow(1, 4, 6).eq(200).all().item<bool>());
  CHECK(with_reference.narrow(0, 4, 8).min().item<int>() == 0);  // the caption drawn
  CHECK(torch::equal(with_reference.narrow(0, 18, 12 + 28), sheet));
}

TEST_CASE("an inpainting sweep's input preview checkers what the mask redraws", "[cli]") {
  InpaintImages inputs;
  inputs.image = torch::full({4, 4, 3}, 250, torch::kUInt8);
  inputs.mask = torch::zeros({4, 4}, torch::kUInt8);
  inputs.mask.narrow(1, 0, 2).fill_(255);  // keep the left half
  const torch::Tensor preview = masked_input_preview(inputs, 16);
  REQUIRE(preview.sizes() == at::IntArrayRef{16, 16, 3});
  CHECK(preview.narrow(1, 0, 8).eq(250).all().item<bool>());
  const torch::Tensor redrawn = preview.narrow(1, 8, 8);
  CHECK(redrawn.eq(96).logical_or(redrawn.eq(168)).all().item<bool>());
  CHECK(redrawn.eq(96).any().item<bool>());
  CHECK(redrawn.eq(168).any().item<bool>());
  CHECK(preview[0][8][0].item<int>() != preview[0][12][0].item<int>());  // 4-pixel squares
}

TEST_CASE("long labels are cut in the middle so that their ends stay apart", "[cli]") {
  const std::string common = "a small red circle on a wide field of grass under the sky at ";
  const std::vector<torch::Tensor> image = {torch::zeros({8, 8, 3}, torch::kUInt8)};
  const auto sheet_for = [&](const std::string& label) {
    return labelled_sheet(image, 1, SheetLabels{"", {label}, {}});
  };
  const torch::Tensor noon = sheet_for(common + "noon");
  const torch::Tensor dusk = sheet_for(common + "dusk");
  // 40 characters are drawn, not 64; the two labels differ only in their last word.
  CHECK(noon.sizes() == sheet_for(std::string(40, 'a')).sizes());
  CHECK_FALSE(torch::equal(noon, dusk));
}

TEST_CASE("PNG records carry every parameter and read back", "[cli]") {
  test::ScratchDir dir;
  ImageRecord record{"generate", image_params(unusual_params(), 1), true, false, {}};
  record.files.push_back({"model", "/models/base.pt", std::string(64, 'a')});
  record.extra["model_configs"]["model"] = {{"image_size", 16}};  // as Python's save= writes
  const image::PngText text = record_text(record);
  CHECK(text.at("prompt") == "a \"blue\" sphere, small");
  CHECK(text.at("seed") == "0");  // 2^64 - 1 + 1 wraps, as the pipeline's seed + k does
  CHECK(text.at("base.respacing") == "10,10,5");
  CHECK(text.at("model") == "/models/base.pt");
  CHECK(text.at("model_sha256") == std::string(64, 'a'));
  CHECK(text.count("upsampler.sampler") == 0);  // that stage did not run
  CHECK(text.count("glide_version") == 1);

  const std::string path = dir.file("x.png");
  image::save_png(path, torch::zeros({2, 2, 3}, torch::kUInt8), text);
  const LoadedRecord back = read_record(path);
  CHECK(back.command == "generate");
  CHECK(back.files.at("model").path == "/models/base.pt");
  CHECK(back.model_configs.at("model") == R"({"image_size":16})");
  for (const ParamField& f : param_fields()) {
    INFO(f.name);
    CHECK(field_text(f, back.params) == field_text(f, record.params));
  }
  const std::string plain = dir.file("plain.png");
  image::save_png(plain, torch::zeros({2, 2, 3}, torch::kUInt8));
  CHECK_THROWS_WITH(read_record(plain), Catch::Contains("glide_parameters"));

  // PNG text is UTF-8: a file name that is not is refused when recorded, before any sampling.
  const std::string latin1 = dir.file("mod\xe8le.pt");
  test::write_file(latin1, "x");
  CHECK(record_file("model", plain).sha256.size() == 64);
  CHECK_THROWS_WITH(record_file("model", latin1),
                    Catch::Contains("mod\\xe8le.pt' in the images' metadata: its name is not "
                                    "UTF-8"));
}

TEST_CASE("a damaged or foreign record is named, in the record's terms", "[cli]") {
  test::ScratchDir dir;
  const auto chunk_with = [&](const std::string& json) {
    const std::string path = dir.file("r.png");
    image::save_png(path, torch::zeros({1, 1, 3}, torch::kUInt8), {{kParametersChunk, json}},
                    /*overwrite=*/true);
    return path;
  };
  const std::string params = params_to_json(unusual_params()).dump();
  const std::vector<std::pair<std::string, std::string>> damaged = {
      {"{\"command\": ", "the record is not valid JSON: it breaks at line 1, column"},
      {"{\"command\": \"generate\", \"command\": \"sweep\"}", "gives the key \"command\" twice"},
      // Deep nesting overflowed the stack of the JSON library's copies (a segfault).
      {"{\"parameters\": " + std::string(100000, '[') + std::string(100000, ']') + "}",
       "nests deeper than 64 levels"},
      {"[1, 2]", "it is array; expected a JSON object"},
      {"{\"parameters\": " + params + "}", "no \"command\""},
      {"{\"command\": 7, \"parameters\": " + params + "}", "\"command\" is number"},
      {"{\"command\": \"generate\"}", "no \"parameters\""},
      {"{\"command\": \"generate\", \"parameters\": " + params + ", \"files\": []}",
       "\"files\" is array; expected an object"},
      {"{\"command\": \"generate\", \"parameters\": " + params +
           ", \"files\": {\"model\": {\"path\": \"/m.pt\"}}}",
       "files.model: it has no \"sha256\""},
      {"{\"command\": \"generate\", \"parameters\": " + params + ", \"model_configs\": []}",
       "\"model_configs\" is array; expected an object"},
      {"{\"command\": \"generate\", \"parameters\": " + params +
           ", \"model_configs\": {\"model\": \"base\"}}",
       "model_configs.model: it is string; expected an object"},
      {"{\"command\": \"generate\", \"parameters\": " + params +
           ", \"model_configs\": {\"model\": {}}}",
       "model_configs.model: it is empty; expected an object of model options"},
      {"{\"command\": \"generate\", \"parameters\": " + params +
           ", \"model_configs\": {\"modle\": {\"image_size\": 64}}}",
       "model_configs names \"modle\"; expected \"model\" or \"upsampler_model\""},
  };
  for (const auto& [json, message] : damaged) {
    INFO(json);
    CHECK_THROWS_WITH(read_record(chunk_with(json)),
                      Catch::Contains("chunk is damaged") && Catch::Contains(message));
  }

  const auto record_of = [&](const std::string& command, const GenerationParams& p) {
    return chunk_with(
        nlohmann::json{{"command", command}, {"parameters", params_to_json(p)}}.dump());
  };
  // Each command's --from takes its own images, and says which command takes another's.
  CHECK_THROWS_WITH(read_record_for(record_of("inpaint", unusual_params()), "generate"),
                    Catch::Contains("made by `glide inpaint`, which `glide generate --from` cannot "
                                    "make again; use `glide inpaint --from"));
  CHECK_THROWS_WITH(read_record_for(record_of("sweep", unusual_params()), "upsample"),
                    Catch::Contains("made by `glide sweep`, which `glide upsample --from` cannot "
                                    "make again; use `glide generate --from"));
  CHECK(read_record_for(record_of("inpaint", unusual_params()), "inpaint").command == "inpaint");
  CHECK_THROWS_WITH(read_record_for(record_of("paint", unusual_params()), "inpaint"),
                    Catch::Contains("unknown command \"paint\""));
  CHECK_THROWS_WITH(read_record_for(record_of("paint", unusual_params()), "generate"),
                    Catch::Contains("unknown command \"paint\""));
  GenerationParams no_prompt = unusual_params();
  no_prompt.prompts.clear();
  CHECK_THROWS_WITH(read_record_for(record_of("generate", no_prompt), "generate"),
                    Catch::Contains("records no prompt"));
  CHECK(read_record_for(record_of("sweep", unusual_params()), "generate").command == "sweep");
  // An inpainting sweep's sheet (its files name a mask) is inpaint's to make again; a sweep
  // starts from generate's and inpaint's images, not upsample's.
  const auto inpainting_sheet = [&] {
    return chunk_with(nlohmann::json{{"command", "sweep"},
                                     {"parameters", params_to_json(unusual_params())},
                                     {"files", {{"mask", {{"path", "/m.png"}, {"sha256", "0"}}}}}}
                          .dump());
  };
  CHECK(remade_by(read_record(inpainting_sheet())) == "inpaint");
  CHECK(remade_by(read_record(record_of("sweep", unusual_params()))) == "generate");
  CHECK(read_record_for(inpainting_sheet(), "inpaint").command == "sweep");
  CHECK(read_record_for(inpainting_sheet(), "sweep").command == "sweep");
  CHECK_THROWS_WITH(read_record_for(inpainting_sheet(), "generate"),
                    Catch::Contains("made by `glide sweep` (inpainting), which `glide generate "
                                    "--from` cannot make again; use `glide inpaint --from"));
  CHECK_THROWS_WITH(read_record_for(record_of("sweep", unusual_params()), "inpaint"),
                    Catch::Contains("made by `glide sweep`, which `glide inpaint --from`"));
  CHECK(read_record_for(record_of("inpaint", unusual_params()), "sweep").command == "inpaint");
  CHECK_THROWS_WITH(read_record_for(record_of("upsample", unusual_params()), "sweep"),
                    Catch::Contains("made by `glide upsample`, which `glide sweep --from` cannot "
                                    "start from; use `glide upsample --from"));

  // A newer glide's record: read when it can be (with a note), else the error says why it may not.
  nlohmann::json newer = {{"glide_version", "99.0"},
                          {"command", "generate"},
                          {"parameters", params_to_json(unusual_params())}};
  CHECK(read_record_for(chunk_with(newer.dump()), "generate").glide_version == "99.0");
  newer["parameters"]["stochasticity"] = 0.5;
  CHECK_THROWS_WITH(read_record(chunk_with(newer.dump())),
                    Catch::Contains("unknown generation parameter \"stochasticity\"") &&
                        Catch::Contains("written by glide 99.0, newer than this glide"));
  newer["glide_version"] = glide::version_string();
  CHECK_THROWS_WITH(read_record(chunk_with(newer.dump())), !Catch::Contains("newer"));
}

TEST_CASE("version numbers compare part by part", "[cli]") {
  CHECK(is_newer_version("0.10.0", "0.9.1"));
  CHECK(is_newer_version("1.0", "0.99.99"));
  CHECK(is_newer_version("0.1.1", "0.1"));
  CHECK_FALSE(is_newer_version("0.1.0", "0.1"));
  CHECK_FALSE(is_newer_version("0.9", "0.10"));
  CHECK_FALSE(is_newer_version("", "0.1.0"));
  CHECK_FALSE(is_newer_version("garbage", "0.1.0"));
  CHECK_FALSE(is_newer_version(std::string(40, '9'), "0.1.0"));  // not a number: 0
}

TEST_CASE("-o names a .png file", "[cli]") {
  const auto parse_output = [](const std::string& name) {
    CLI::App app;
    OutputFlags flags;
    add_output_flags(&app, flags, "out.png", /*batch=*/false);
    app.parse(std::vector<std::string>{name, "-o"});  // CLI11 takes them last first
    return flags.path;
  };
  CHECK(parse_output("dir/Out.PNG") == "dir/Out.PNG");
  CHECK_THROWS_WITH(parse_output(""), Catch::Contains("an empty name names no file"));
  CHECK_THROWS_WITH(parse_output("out.jpg"), Catch::Contains("give a name that ends in .png"));
  CHECK_THROWS_WITH(parse_output("out"), Catch::Contains("give a name that ends in .png"));
  // A name of only the extension would be a hidden file (and ".png-0.png" for a batch).
  CHECK_THROWS_WITH(parse_output("dir/.png"), Catch::Contains("is only an extension"));
  CHECK(parse_output("dir/a.png") == "dir/a.png");
}

TEST_CASE("image k of a batch and where a batch is written", "[cli]") {
  GenerationParams batch;
  batch.prompts = {"a", "b", "c"};
  batch.batch_size = 3;
  batch.seed = 10;
  const GenerationParams p = image_params(batch, 2);
  CHECK(p.prompts == std::vector<std::string>{"c"});
  CHECK(p.batch_size == 1);
  CHECK(p.seed == 12);
  CHECK(output_paths("out/pic.png", 1, false) == std::vector<std::string>{"out/pic.png"});
  CHECK(output_paths("out/pic.png", 2, false) ==
        std::vector<std::string>{"out/pic-0.png", "out/pic-1.png"});
  CHECK(output_paths("pic.png", 4, true) == std::vector<std::string>{"pic.png"});
}

TEST_CASE("a batch whose last image cannot be written leaves none of its new files", "[cli]") {
  glide::test::ScratchDir dir;
  const auto images = torch::zeros({3, 4, 4, 3}, torch::kUInt8);
  GenerationParams params;
  params.prompts = {"a", "b", "c"};
  params.batch_size = 3;
  const ImageRecord record{"generate", params, true, false, {}};
  std::ofstream(dir.file("old.png")) << "kept";
  // The third image's folder is missing (refuse_existing would have caught it; a folder removed
  // while generating is the same failure).
  const std::vector<std::string> paths = {dir.file("new.png"), dir.file("old.png"),
                                          dir.file("gone/x.png")};
  CHECK_THROWS_WITH(write_images(images, paths, false, /*overwrite=*/true, record),
                    Catch::Contains("gone' does not exist"));
  CHECK_FALSE(std::filesystem::exists(dir.file("new.png")));
  // A file that was there before has its old contents back, and no backup stays beside it.
  CHECK(glide::test::file_text(dir.file("old.png")) == "kept");
  CHECK(glide::test::entries_in(dir.path()) == 1);
  // And all of them are written when they can be, the backup gone.
  std::filesystem::create_directory(dir.file("gone"));
  write_images(images, paths, false, /*overwrite=*/true, record);
  for (const auto& path : paths) CHECK(std::filesystem::exists(path));
  CHECK(glide::image::load_png(dir.file("old.png")).pixels.size(0) == 4);
  CHECK(glide::test::entries_in(dir.path()) == 3);
}
