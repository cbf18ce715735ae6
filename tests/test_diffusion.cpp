// Beta schedules, respacing and the Gaussian posterior against the reference's goldens and
// closed forms.
// LibTorch's unpickler header brings glog's CHECK; Catch's must win, so it comes second.
#include <torch/csrc/jit/serialization/pickle.h>
#undef CHECK
#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "glide/diffusion/gaussian_diffusion.hpp"
#include "glide/diffusion/schedule.hpp"
#include "glide/error.hpp"
#include "support/catch_torch.hpp"
#include "support/goldens.hpp"

using Catch::Matchers::Contains;
using glide::GaussianDiffusion;

using glide::test::max_abs_diff;

namespace {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

// sampling_*.pt are plain dicts, which LibTorch's own unpickler reads.
c10::Dict<c10::IValue, c10::IValue> read_plain_pt(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return torch::jit::pickle_load(bytes).toGenericDict();
}

void require_close_relative(const std::vector<double>& actual, const std::vector<double>& expected,
                            double rel) {
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    INFO("index " << i << ": " << actual[i] << " vs " << expected[i]);
    REQUIRE(std::abs(actual[i] - expected[i]) <= rel * std::abs(expected[i]));
  }
}

glide::Status status_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const glide::Error& e) {
    return e.status();
  }
  return glide::Status::ok;
}

}  // namespace

TEST_CASE("beta schedules match the reference in float64", "[diffusion][parity]") {
  GLIDE_REQUIRE_GOLDEN(path, "schedules.json");
  const auto golden = read_json(path);
  for (const std::string name : {"linear", "squaredcos_cap_v2"}) {
    INFO("schedule " << name);
    require_close_relative(glide::named_beta_schedule(name, 1000),
                           golden.at("betas").at(name).get<std::vector<double>>(), 1e-12);
  }
}

TEST_CASE("respacing strings keep the reference's timesteps", "[diffusion][parity]") {
  GLIDE_REQUIRE_GOLDEN(path, "schedules.json");
  const auto golden = read_json(path);
  REQUIRE(golden.at("spacing").size() >= 10);
  for (const auto& [spec, steps] : golden.at("spacing").items()) {
    INFO("spec '" << spec << "'");
    CHECK(glide::space_timesteps(1000, spec) == steps.get<std::vector<int64_t>>());
  }
}

TEST_CASE("respacing strings the reference rejects are rejected with a reason",
          "[diffusion][parity]") {
  GLIDE_REQUIRE_GOLDEN(path, "schedules.json");
  const auto golden = read_json(path);
  REQUIRE(!golden.at("spacing_errors").empty());
  for (const auto& item : golden.at("spacing_errors")) {
    const std::string spec = item.at("spec");
    INFO("spec '" << spec << "'");
    try {
      glide::space_timesteps(1000, spec);
      FAIL("accepted");
    } catch (const glide::Error& e) {
      CHECK(e.status() == glide::Status::invalid_argument);
      CHECK_THAT(e.what(), Contains("'" + spec + "'"));
    }
  }
}

TEST_CASE("respacing counts read as Python's int() reads them; bad ones are named briefly",
          "[diffusion]") {
  // int() strips any whitespace, tabs and newlines included: " 10", "\t10\n" and "ddim 10" are 10.
  CHECK(glide::space_timesteps(1000, "\t10\n") == glide::space_timesteps(1000, "10"));
  CHECK(glide::space_timesteps(1000, "ddim 10") == glide::space_timesteps(1000, "ddim10"));
  const auto message_of = [](const std::string& spec) {
    try {
      glide::space_timesteps(1000, spec);
    } catch (const glide::Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK_THAT(message_of("ddim" + std::string(30, '9')), Contains("too large"));
  CHECK_THAT(message_of(std::string(25, '9')), Contains("too large"));
  std::string many = "1";
  for (int i = 0; i < 2000; ++i) many += ",1";
  const std::string long_message = message_of(many);
  CHECK_THAT(long_message, Contains("(4001 characters)"));
  CHECK(long_message.size() < 400);
}

TEST_CASE("a respacing's canonical spelling keeps the same timesteps", "[diffusion]") {
  for (const std::string spec : {"02,010", " 7 ", "ddim 050", "ddim50", "fast27", "0,5", ""}) {
    INFO("spec '" << spec << "'");
    const std::string canonical = glide::canonical_respacing(spec);
    CHECK(glide::space_timesteps(1000, canonical) == glide::space_timesteps(1000, spec));
    CHECK(glide::canonical_respacing(canonical) == canonical);
  }
  CHECK(glide::canonical_respacing("02,010") == "2,10");
  CHECK(glide::canonical_respacing("ddim 050") == "ddim50");
  // Different timesteps, different spellings: fast27 swaps its last step.
  CHECK(glide::canonical_respacing("fast27") != glide::canonical_respacing("10,10,3,2,2"));
  CHECK(glide::canonical_respacing("50") != glide::canonical_respacing("ddim50"));
  CHECK_THROWS_AS(glide::canonical_respacing("1,x"), glide::Error);
  CHECK_THROWS_AS(glide::canonical_respacing("0,0"), glide::Error);
}

TEST_CASE("respaced processes match the reference's betas and timestep maps",
          "[diffusion][parity]") {
  GLIDE_REQUIRE_GOLDEN(path, "schedules.json");
  const auto golden = read_json(path);
  int cases = 0;
  for (const auto& [key, value] : golden.items()) {
    if (key.rfind("spaced_", 0) != 0) continue;
    std::string schedule;
    for (const auto& name : glide::beta_schedule_names()) {
      if (key.rfind("spaced_" + name + "_", 0) == 0) schedule = name;
    }
    REQUIRE(!schedule.empty());
    const std::string spec = key.substr(std::string("spaced_").size() + schedule.size() + 1);
    INFO(key << ": schedule " << schedule << ", respacing '" << spec << "'");
    const auto diffusion = GaussianDiffusion::from_config({1000, schedule, spec});
    require_close_relative(diffusion.betas(), value.at("betas").get<std::vector<double>>(), 1e-12);
    CHECK(diffusion.timestep_map() == value.at("timestep_map").get<std::vector<int64_t>>());
    CHECK(diffusion.original_num_steps() == 1000);
    ++cases;
  }
  CHECK(cases >= 2);
}

TEST_CASE("the shifted cosine schedule divides the reference cosine's SNR by k squared",
          "[diffusion]") {
  GLIDE_REQUIRE_GOLDEN(path, "schedules.json");
  const auto cosine =
      read_json(path).at("betas").at("squaredcos_cap_v2").get<std::vector<double>>();
  require_close_relative(glide::named_beta_schedule("shifted_cosine_1", 1000), cosine, 1e-9);

  const auto shifted = glide::named_beta_schedule("shifted_cosine_8", 1000);
  REQUIRE(shifted.size() == cosine.size());
  double alpha_bar = 1, shifted_alpha_bar = 1;
  // The last step of both is capped at β = 0.999, where the closed form no longer holds.
  for (size_t t = 0; t + 1 < cosine.size(); ++t) {
    alpha_bar *= 1 - cosine[t];
    shifted_alpha_bar *= 1 - shifted[t];
    const double snr = alpha_bar / (1 - alpha_bar);
    const double shifted_snr = shifted_alpha_bar / (1 - shifted_alpha_bar);
    INFO("t = " << t << ": SNR " << snr << ", shifted " << shifted_snr);
    REQUIRE(std::abs(shifted_snr * 64 / snr - 1) < 1e-6);
    REQUIRE(shifted[t] >= cosine[t]);  // more noise at every step
  }
  for (const std::string name : {"shifted_cosine_", "shifted_cosine_0.5", "shifted_cosine_x",
                                 "shifted_cosine_-2", "shifted_cosine_1.", "shifted_cosine_1e3"}) {
    INFO(name);
    try {
      glide::named_beta_schedule(name, 1000);
      FAIL("accepted");
    } catch (const glide::Error& e) {
      CHECK(e.status() == glide::Status::invalid_argument);
      CHECK_THAT(e.what(), Contains(name) && Contains("at least 1"));
    }
  }
}

TEST_CASE("the linear schedule scales with the number of steps", "[diffusion]") {
  const auto betas = glide::named_beta_schedule("linear", 250);
  REQUIRE(betas.size() == 250);
  CHECK(betas.front() == Approx(4 * 0.0001).epsilon(1e-14));
  CHECK(betas.back() == Approx(4 * 0.02).epsilon(1e-14));
  const auto one = glide::named_beta_schedule("squaredcos_cap_v2", 1);
  REQUIRE(one.size() == 1);
  CHECK(one[0] == 0.999);  // ᾱ(1) = 0: capped
}

TEST_CASE("bad schedule names and step counts are errors that say what is allowed", "[diffusion]") {
  try {
    glide::named_beta_schedule("cosine", 1000);
    FAIL("accepted");
  } catch (const glide::Error& e) {
    CHECK(e.status() == glide::Status::invalid_argument);
    CHECK_THAT(e.what(), Contains("'cosine'") && Contains("squaredcos_cap_v2") &&
                             Contains("shifted_cosine_<k>"));
  }
  CHECK(status_of([] { glide::named_beta_schedule("linear", 0); }) ==
        glide::Status::invalid_argument);
  // Absurd step counts are refused before building their tables, naming diffusion_steps.
  CHECK_THROWS_WITH(glide::named_beta_schedule("squaredcos_cap_v2", 100000001),
                    Contains("diffusion_steps is 100000001") && Contains("1 to 100000"));
  CHECK(glide::named_beta_schedule("squaredcos_cap_v2", 100000).size() == 100000);
  // The linear schedule's betas would exceed 1 below 20 steps.
  CHECK_THROWS_WITH(glide::named_beta_schedule("linear", 3),
                    Contains("diffusion_steps is 3") && Contains("at least 20"));
  CHECK(glide::named_beta_schedule("linear", 20).back() == Approx(1.0));
  for (const std::string spec : {"10,,3", "ddim", "ten", "0", "fast28", "-3"}) {
    INFO("spec '" << spec << "'");
    CHECK(status_of([&] { glide::space_timesteps(1000, spec); }) ==
          glide::Status::invalid_argument);
  }
  CHECK(status_of([] { GaussianDiffusion({0.1, 0.0}); }) == glide::Status::invalid_argument);
  CHECK(status_of([] {
          GaussianDiffusion::spaced({0.1, 0.2}, {0, 2});
        }) == glide::Status::invalid_argument);
  CHECK(status_of([] {
          GaussianDiffusion::spaced({0.1, 0.2}, {1, 1});
        }) == glide::Status::invalid_argument);
}

TEST_CASE("section lists, ddimN and fast27 on small processes", "[diffusion]") {
  CHECK((glide::space_timesteps(10, "4") == std::vector<int64_t>{0, 3, 6, 9}));
  // Python's round() sends halves to the even neighbour: a stride of 1.5 rounds 1.5 up, 4.5 down.
  CHECK((glide::space_timesteps(7, "5") == std::vector<int64_t>{0, 2, 3, 4, 6}));
  CHECK((glide::space_timesteps(10, "ddim5") == std::vector<int64_t>{0, 2, 4, 6, 8}));
  CHECK((glide::space_timesteps(10, std::vector<int64_t>{2, 1}) == std::vector<int64_t>{0, 4, 5}));
  CHECK((glide::space_timesteps(5, "") == std::vector<int64_t>{0, 1, 2, 3, 4}));
  const auto fast = glide::space_timesteps(1000, "fast27");
  CHECK(fast.size() == 27);
  CHECK(fast.back() == 997);
}

TEST_CASE("a respaced process keeps the base process's alpha-bar at every kept step",
          "[diffusion]") {
  const auto base_betas = glide::named_beta_schedule("squaredcos_cap_v2", 1000);
  const GaussianDiffusion base(base_betas);
  const auto spaced = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", "ddim25"});
  REQUIRE(spaced.num_timesteps() == 25);
  for (int64_t i = 0; i < spaced.num_timesteps(); ++i) {
    const int64_t t = spaced.timestep_map()[i];
    CHECK(spaced.alphas_cumprod()[i] == Approx(base.alphas_cumprod()[t]).epsilon(1e-12));
  }
  // β̃_0 = 0 is replaced by β̃_1 before the log.
  CHECK(spaced.posterior_variance()[0] == 0.0);
  CHECK(spaced.posterior_log_variance_clipped()[0] ==
        Approx(std::log(spaced.posterior_variance()[1])));
  CHECK(spaced.alphas_cumprod_prev()[0] == 1.0);
}

TEST_CASE("x0 and eps predictions invert q_sample", "[diffusion]") {
  const auto diffusion = GaussianDiffusion::from_config({1000, "linear", "50"});
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const auto x0 = torch::randn({4, 3, 5, 5}, gen, torch::kDouble);
  const auto eps = torch::randn({4, 3, 5, 5}, gen, torch::kDouble);
  const auto t = torch::tensor({0, 7, 25, 49}, torch::kLong);
  const auto x_t = diffusion.q_sample(x0, t, eps);
  CHECK(max_abs_diff(diffusion.predict_xstart_from_eps(x_t, t, eps), x0) < 1e-9);
  CHECK(max_abs_diff(diffusion.predict_eps_from_xstart(x_t, t, x0), eps) < 1e-9);
  // The posterior mean of a point mass sits on the line from x_t to x0 (Ho et al. eq. 7).
  const auto post = diffusion.q_posterior_mean_variance(x0, x_t, t);
  const auto at0 = diffusion.q_posterior_mean_variance(x0, x_t, torch::zeros({4}, torch::kLong));
  CHECK(max_abs_diff(at0.mean, x0) < 1e-12);  // ᾱ_prev = 1 at the first step
  CHECK(post.variance.sizes() == x0.sizes());
}

TEST_CASE("v-prediction's target and eps conversion follow Salimans & Ho's definitions",
          "[diffusion]") {
  const glide::DiffusionConfig config{1000, "linear", "", "v"};
  const auto diffusion = GaussianDiffusion::from_config(config);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(4);
  const auto x0 = torch::rand({4, 3, 5, 5}, gen, torch::kDouble) * 2 - 1;
  const auto eps = torch::randn({4, 3, 5, 5}, gen, torch::kDouble);
  const auto t = torch::tensor({0, 300, 700, 999}, torch::kLong);
  const auto x_t = diffusion.q_sample(x0, t, eps);
  // v = √ᾱ·eps − √(1−ᾱ)·x0, from the ᾱ table directly.
  const auto abar = torch::tensor(diffusion.alphas_cumprod(), torch::kDouble)
                        .index_select(0, t)
                        .view({4, 1, 1, 1});
  const auto v = abar.sqrt() * eps - (1 - abar).sqrt() * x0;
  CHECK(max_abs_diff(diffusion.v_target(x0, t, eps), v) < 1e-12);
  CHECK(max_abs_diff(diffusion.predict_eps_from_v(x_t, t, v), eps) < 1e-9);
  // Through eps, x0 comes back even at the last step, where x0 = x_t/√ᾱ − √(1/ᾱ−1)·eps
  // multiplies eps by about 158.
  const auto back =
      diffusion.predict_xstart_from_eps(x_t, t, diffusion.predict_eps_from_v(x_t, t, v));
  CHECK(max_abs_diff(back, x0) < 1e-9);

  // eps_prediction(): a network returning v at the ORIGINAL timesteps of a respaced process.
  glide::DiffusionConfig respaced = config;
  respaced.timestep_respacing = "fast27";
  const glide::DenoiseFn v_network = [&](const torch::Tensor&, const torch::Tensor&) {
    return glide::ModelOutput{v.to(torch::kFloat), torch::zeros_like(v)};
  };
  const auto as_eps = glide::eps_prediction(v_network, respaced)(x_t.to(torch::kFloat), t);
  CHECK(as_eps.eps.scalar_type() == torch::kFloat);
  CHECK(max_abs_diff(as_eps.eps, eps) < 1e-5);
  // An eps model's network is passed through untouched.
  glide::DiffusionConfig eps_config = respaced;
  eps_config.prediction = "epsilon";
  CHECK(
      torch::equal(glide::eps_prediction(v_network, eps_config)(x_t, t).eps, v.to(torch::kFloat)));

  glide::DiffusionConfig bad = config;
  bad.prediction = "x0";
  try {
    bad.validate();
    FAIL("prediction \"x0\" was accepted");
  } catch (const glide::Error& e) {
    CHECK(e.status() == glide::Status::invalid_argument);
    CHECK_THAT(e.what(), Contains("prediction \"x0\"") && Contains("\"v\""));
  }
}

TEST_CASE("p_mean_variance maps indices, interpolates the log-variance and applies hooks",
          "[diffusion]") {
  const auto diffusion = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", "10"});
  const auto x = torch::full({2, 3, 4, 4}, 0.5);
  const auto t = torch::tensor({9, 3}, torch::kLong);
  double var_value = -1.0;
  std::vector<int64_t> seen;
  const glide::DenoiseFn fn = [&](const torch::Tensor& x_t, const torch::Tensor& ts) {
    seen.assign(ts.data_ptr<int64_t>(), ts.data_ptr<int64_t>() + ts.numel());
    return glide::ModelOutput{torch::full_like(x_t, 3.0), torch::full_like(x_t, var_value)};
  };
  auto out = diffusion.p_mean_variance(fn, x, t, /*clip_denoised=*/false);
  CHECK((seen == std::vector<int64_t>{diffusion.timestep_map()[9], diffusion.timestep_map()[3]}));
  CHECK(out.log_variance[0].max().item<double>() ==
        Approx(diffusion.posterior_log_variance_clipped()[9]).epsilon(1e-6));
  CHECK(out.log_variance[1].min().item<double>() ==
        Approx(diffusion.posterior_log_variance_clipped()[3]).epsilon(1e-6));
  var_value = 1.0;
  out = diffusion.p_mean_variance(fn, x, t, /*clip_denoised=*/false);
  CHECK(out.log_variance[1].max().item<double>() ==
        Approx(std::log(diffusion.betas()[3])).epsilon(1e-6));
  CHECK(max_abs_diff(out.variance, out.log_variance.exp()) < 1e-7);
  CHECK(out.pred_xstart.abs().max().item<double>() > 1.0);

  // The hook sees the raw prediction and runs before clipping.
  torch::Tensor hooked;
  const glide::DenoisedFn hook = [&](const torch::Tensor& x0) {
    hooked = x0;
    return x0 * 0 + 7.0;
  };
  out = diffusion.p_mean_variance(fn, x, t, /*clip_denoised=*/true, hook);
  CHECK(max_abs_diff(hooked, diffusion.predict_xstart_from_eps(x, t, torch::full_like(x, 3.0))) <
        1e-6);
  CHECK(max_abs_diff(out.pred_xstart, torch::ones_like(x)) == 0.0);
  const auto post = diffusion.q_posterior_mean_variance(out.pred_xstart, x, t);
  CHECK(max_abs_diff(out.mean, post.mean) < 1e-7);
}

TEST_CASE("p_mean_variance rejects bad indices and outputs with a message", "[diffusion]") {
  const auto diffusion = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", "10"});
  const auto x = torch::zeros({2, 3, 4, 4});
  const glide::DenoiseFn good = [](const torch::Tensor& x_t, const torch::Tensor&) {
    return glide::ModelOutput{torch::zeros_like(x_t), torch::zeros_like(x_t)};
  };
  const glide::DenoiseFn bad = [](const torch::Tensor& x_t, const torch::Tensor&) {
    return glide::ModelOutput{torch::zeros_like(x_t), torch::zeros({2, 1, 4, 4})};
  };
  try {
    diffusion.p_mean_variance(good, x, torch::tensor({3, 10}, torch::kLong));
    FAIL("accepted");
  } catch (const glide::Error& e) {
    CHECK_THAT(e.what(), Contains("10") && Contains("0..9"));
  }
  try {
    diffusion.p_mean_variance(bad, x, torch::tensor({3, 4}, torch::kLong));
    FAIL("accepted");
  } catch (const glide::Error& e) {
    CHECK_THAT(e.what(), Contains("[2, 1, 4, 4]") && Contains("[2, 3, 4, 4]"));
  }
  CHECK(status_of([&] { diffusion.p_mean_variance(good, x, torch::tensor({3}, torch::kLong)); }) ==
        glide::Status::invalid_argument);
  CHECK(status_of([&] {
          glide::split_model_output(torch::zeros({1, 5, 2, 2}));
        }) == glide::Status::invalid_argument);
  const auto split =
      glide::split_model_output(torch::arange(6).view({1, 6, 1, 1}).to(torch::kFloat));
  CHECK((split.eps.flatten().equal(torch::tensor({0.f, 1.f, 2.f}))));
  CHECK((split.var_values.flatten().equal(torch::tensor({3.f, 4.f, 5.f}))));
}

// The golden p_mean_variance at respaced index 4 without the model: a denoise_fn that returns the
// eps and variance values implied by the golden pred_xstart and log_variance must reproduce the
// golden mean from the golden x and pred_xstart through this process's posterior coefficients.
TEST_CASE("p_mean_variance reproduces the reference's posterior at index 4",
          "[diffusion][parity]") {
  GLIDE_REQUIRE_GOLDEN(path, "sampling_text2im.pt");
  const auto golden = read_plain_pt(path);
  auto get = [&](const std::string& key) { return golden.at(key).toTensor(); };
  glide::DiffusionConfig config;
  config.noise_schedule = golden.at("noise_schedule").toStringRef();
  config.timestep_respacing = golden.at("respacing").toStringRef();
  const auto diffusion = GaussianDiffusion::from_config(config);

  const auto x = get("p_mean_variance_t4.x");
  const auto t = get("p_mean_variance_t4.t");
  const auto pred_xstart = get("p_mean_variance_t4.pred_xstart");
  const auto log_variance = get("p_mean_variance_t4.log_variance");
  REQUIRE(t.eq(4).all().item<bool>());

  const auto min_log = diffusion.extract(diffusion.posterior_log_variance_clipped(), t, x);
  const auto max_log = diffusion.extract(diffusion.betas(), t, x).log();
  // A random-weight network's variance values are not confined to [-1, 1]: nothing squashes them.
  const auto frac = (log_variance - min_log) / (max_log - min_log);

  const auto eps = diffusion.predict_eps_from_xstart(x, t, pred_xstart);
  int64_t model_t = -1;
  const glide::DenoiseFn fn = [&](const torch::Tensor& x_t, const torch::Tensor& ts) {
    CHECK(x_t.equal(x));
    model_t = ts[0].item<int64_t>();
    return glide::ModelOutput{eps, frac * 2 - 1};
  };
  const auto out = diffusion.p_mean_variance(fn, x, t, /*clip_denoised=*/true);
  CHECK(model_t == diffusion.timestep_map()[4]);
  CHECK(max_abs_diff(out.pred_xstart, pred_xstart) < 1e-5);
  CHECK(max_abs_diff(out.mean, get("p_mean_variance_t4.mean")) < 1e-5);
  CHECK(max_abs_diff(out.log_variance, log_variance) < 1e-5);
  CHECK(max_abs_diff(out.variance, get("p_mean_variance_t4.variance")) < 1e-6);
}
