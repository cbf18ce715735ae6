#include "param_flags.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <optional>

#include "glide/samplers/sampler.hpp"
#include "usage_error.hpp"

namespace glide::cli {
namespace {

struct StageFlag {
  const char* member;  // the StageParams field
  const char* suffix;  // the flag after --base- / --upsampler-
  const char* alias;   // a short spelling for the base stage, or nullptr
  const char* help;
};

const StageFlag kStageFlags[] = {
    {"sampler", "sampler", nullptr, nullptr},  // help built from sampler_names()
    {"respacing", "steps", nullptr,
     "Timestep respacing of the 1000-step process: N (N evenly spaced steps), 'a,b,c' (cut into "
     "equal sections keeping a, b, c steps), ddimN (N steps on DDIM's stride), fast27 (GLIDE's "
     "27-step upsampler schedule)"},
    {"eta", "eta", nullptr,
     "Noise scale of the stochastic samplers: ddim 0 (deterministic) to 1 (DDPM-like), "
     "dpm++2m_sde 0 (its ODE) to 1, euler_a 0 (its ODE) or more (1: ancestral sampling); the "
     "others take only 0. 'default' is the sampler's own"},
    {"guided", "guided", nullptr,
     "Classifier-free guidance: run the model on [prompt; negative prompt] and extrapolate "
     "(--no-<stage>-guided turns it off)"},
    {"guidance_scale", "guidance-scale", "--guidance-scale",
     "Classifier-free guidance scale s >= 0: eps = uncond + s (cond - uncond). 1 is the "
     "conditional model alone, 0 the unconditional; larger follows the prompt more closely at the "
     "cost of variety"},
    {"guidance_rescale", "guidance-rescale", "--guidance-rescale",
     "Rescale the guided prediction back toward the conditional one's standard deviation (Lin et "
     "al. 2023), in [0, 1]; 0 is off. Tames over-saturation at high guidance scales"},
    {"thresholding", "thresholding", "--thresholding",
     "How each predicted x_0 is bounded: clip (to [-1, 1], GLIDE's), dynamic (Imagen's dynamic "
     "thresholding at --<stage>-dynamic-percentile) or none"},
    {"dynamic_percentile", "dynamic-percentile", "--dynamic-percentile",
     "Dynamic thresholding: the percentile of |x_0| per image that becomes the clipping bound, "
     "in (0, 1]"},
    {"temperature", "temperature", nullptr,
     "Scale of the starting noise, x_T ~ N(0, T^2 I); below 1 gives smoother, plainer images"},
};

// What --help shows for a field's value.
const char* type_name(const FieldRef& ref) {
  if (std::holds_alternative<double*>(ref)) return "NUMBER";
  if (std::holds_alternative<std::optional<double>*>(ref)) return "NUMBER|default";
  if (std::holds_alternative<int64_t*>(ref)) return "INT";
  if (std::holds_alternative<uint64_t*>(ref)) return "UINT64";
  if (std::holds_alternative<torch::Device*>(ref)) return "DEVICE";
  if (std::holds_alternative<torch::Dtype*>(ref)) return "DTYPE";
  return "TEXT";
}

}  // namespace

ParamFlags::ParamFlags(CLI::App* cmd, FlagSet set) : set_(std::move(set)) {
  const GenerationParams& d = set_.defaults;
  if (set_.common) {
    prompt_option_ =
        cmd->add_option("-p,--prompt", prompts_,
                        set_.several_prompts
                            ? "The text to draw. Give it once for every image, or once per image "
                              "(the batch size is then the prompts' count unless given)"
                            : "The text the image shows (the upsampler is conditioned on it too)")
            ->group("Generation");
    add(cmd, "negative_prompt", "--negative-prompt",
        "The guidance's unconditional prompt: '' (GLIDE's) or text to steer away from", d);
    add(cmd, "seed", "-s,--seed",
        "Seed of the noise. Every image draws all its noise from its own generator, so a seed "
        "gives the same image on any batch size",
        d);
    add(cmd, "device", "--device", "Where to run: cpu, cuda or cuda:N", d);
    add(cmd, "dtype", "--dtype",
        "Compute dtype: float32, bfloat16 (fast on CPUs with AVX-512 BF16) or float16 (CUDA only)",
        d);
  }
  if (set_.batch) {
    add(cmd, "batch_size", "-n,--batch-size",
        fmt::format("Images to make in one batch, 1 to {} (default: 1, or the number of "
                    "--prompt flags when several are given); image k uses seed + k",
                    GenerationParams::kMaxBatchSize),
        d);
  }
  if (set_.upsample_switch) {
    add(cmd, "upsample", "--upsample,!--no-upsample",
        "Run the upsampler after the base stage (default); --no-upsample keeps the base "
        "stage's small image",
        d);
  }
  const std::string samplers = fmt::format("{}", fmt::join(sampler_names(), ", "));
  for (const char* stage : {"base", "upsampler"}) {
    const bool is_base = std::string(stage) == "base";
    if (is_base ? !set_.base : !set_.upsampler) continue;
    for (const StageFlag& f : kStageFlags) {
      std::string names = fmt::format("--{}-{}", stage, f.suffix);
      if (std::string(f.member) == "guided") names += fmt::format(",!--no-{}-guided", stage);
      if (is_base && f.alias) names += std::string(",") + f.alias;
      std::string help =
          f.help ? f.help
                 : "Sampler: " + samplers + " (docs/samplers.md says which suits which step count)";
      for (size_t at; (at = help.find("<stage>")) != std::string::npos;) {
        help.replace(at, 7, stage);
      }
      add(cmd, std::string(stage) + "." + f.member, names, help, d);
    }
  }
}

void ParamFlags::add(CLI::App* cmd, const std::string& field_name, const std::string& names,
                     const std::string& help, const GenerationParams& defaults) {
  auto flag = std::make_unique<Flag>();
  flag->field = find_param_field(field_name);
  if (!flag->field) throw Error(Status::internal, "no generation parameter " + field_name);
  const std::string group = flag->field->stage.empty()     ? "Generation"
                            : flag->field->stage == "base" ? "Base stage"
                                                           : "Upsampler stage";
  if (std::holds_alternative<bool*>(flag->field->ref(const_cast<GenerationParams&>(defaults)))) {
    flag->on = field_text(*flag->field, defaults) == "true";
    flag->option = cmd->add_flag(names, flag->on, help)->group(group);
  } else {
    // Given twice, the last one wins: a saved command line can be extended with overrides.
    flag->option =
        cmd->add_option(names, flag->text, help)
            ->type_name(type_name(flag->field->ref(const_cast<GenerationParams&>(defaults))))
            ->default_str(field_text(*flag->field, defaults))
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
            ->group(group);
  }
  flags_.push_back(std::move(flag));
}

bool ParamFlags::prompt_given() const {
  return prompt_option_ != nullptr && prompt_option_->count() > 0;
}

std::string ParamFlags::first_given() const {
  if (prompt_given()) return prompt_option_->get_name();
  for (const auto& flag : flags_) {
    if (flag->option->count() > 0) return flag->option->get_name();
  }
  return "";
}

GenerationParams ParamFlags::apply(GenerationParams params) const {
  if (prompt_given()) {
    params.prompts = prompts_;
    // -p a -p b makes two images unless --batch-size says otherwise (a batch of 1 would refuse
    // them); a --batch-size flag, if given, is applied below.
    if (set_.batch && prompts_.size() > static_cast<size_t>(GenerationParams::kMaxBatchSize)) {
      throw UsageError(fmt::format("--prompt is given {} times; a batch makes at most {} images",
                                   prompts_.size(), GenerationParams::kMaxBatchSize));
    }
    if (set_.batch && prompts_.size() > 1) {
      params.batch_size = static_cast<int64_t>(prompts_.size());
    }
  }
  for (const auto& flag : flags_) {
    if (flag->option->count() == 0) continue;
    const bool is_bool = std::holds_alternative<bool*>(flag->field->ref(params));
    if (is_empty_respacing(*flag->field, flag->text)) {
      throw UsageError(fmt::format("{}: {}", flag_of(flag->field->name), kEmptyRespacingAdvice));
    }
    try {
      set_field_text(*flag->field, params, is_bool ? (flag->on ? "true" : "false") : flag->text);
    } catch (const Error& e) {
      throw UsageError(fmt::format("{}: {}", flag_of(flag->field->name), e.what()));
    }
  }
  return params;
}

std::string ParamFlags::flag_of(const std::string& field) const {
  if (field == "prompts") return "--prompt";
  for (const auto& flag : flags_) {
    if (flag->field->name != field) continue;
    std::string names;
    for (const std::string& name : flag->option->get_lnames()) {
      names += (names.empty() ? "--" : "/--") + name;
    }
    return names;
  }
  return field;
}

std::string ineffective_reason(const IneffectiveSetting& setting, const GenerationParams& params) {
  const std::string stage = setting.field.substr(0, setting.field.find('.'));
  switch (setting.reason) {
    case IneffectiveSetting::Reason::no_stage_guided:
      return "no stage is guided, and only guidance reads it";
    case IneffectiveSetting::Reason::stage_not_run: return "the upsampler does not run";
    case IneffectiveSetting::Reason::stage_unguided:
      return fmt::format("the {} stage is unguided (add --{}-guided)", stage, stage);
    case IneffectiveSetting::Reason::thresholding_not_dynamic:
      return fmt::format("the {} stage's thresholding is {} (add --{}-thresholding dynamic)", stage,
                         (stage == "base" ? params.base : params.upsampler).thresholding, stage);
  }
  return "";
}

std::vector<std::string> ParamFlags::given_fields() const {
  std::vector<std::string> given;
  for (const auto& flag : flags_) {
    if (flag->option->count() > 0) given.push_back(flag->field->name);
  }
  return given;
}

std::optional<std::string> unread_in_every_run(const std::string& field,
                                               const std::vector<const GenerationParams*>& runs,
                                               bool base_stage, bool upsampler_stage) {
  std::vector<std::string> reasons;
  for (const GenerationParams* params : runs) {
    const bool upsampler_runs = upsampler_stage && (params->upsample || !base_stage);
    const auto found = ineffective_settings(*params, {field}, base_stage, upsampler_runs);
    if (found.empty()) return std::nullopt;
    std::string reason = ineffective_reason(found.front(), *params);
    if (std::find(reasons.begin(), reasons.end(), reason) == reasons.end()) {
      reasons.push_back(std::move(reason));
    }
  }
  if (reasons.empty()) return std::nullopt;
  return fmt::format("{}", fmt::join(reasons, ", or "));
}

std::vector<std::string> ParamFlags::ineffective_flags(
    const std::vector<const GenerationParams*>& runs, const std::vector<std::string>& skip) const {
  std::vector<std::string> notes;
  for (const std::string& field : given_fields()) {
    if (std::find(skip.begin(), skip.end(), field) != skip.end()) continue;
    if (const auto why = unread_in_every_run(field, runs, set_.base, set_.upsampler)) {
      notes.push_back(flag_of(field) + " has no effect: " + *why);
    }
  }
  return notes;
}

std::vector<std::string> ParamFlags::ineffective_flags(const GenerationParams& params) const {
  return ineffective_flags(std::vector<const GenerationParams*>{&params}, {});
}

void ParamFlags::note_ineffective_flags(const GenerationParams& params) const {
  for (const std::string& note : ineffective_flags(params)) {
    fmt::print(stderr, "glide: note: {}\n", note);
  }
}

void ParamFlags::rethrow_naming_flag(
    const Error& e, const std::map<std::string, std::string>& set_elsewhere) const {
  const std::string message = e.what();
  // validate() starts its messages with the field's name: "base.eta is ...", "prompts[1] ...".
  const ParamField* best = nullptr;
  for (const ParamField& f : param_fields()) {
    if (message.compare(0, f.name.size(), f.name) != 0 || message.size() == f.name.size()) continue;
    const char next = message[f.name.size()];
    if ((next == ' ' || next == '[') && (!best || f.name.size() > best->name.size())) best = &f;
  }
  if (!best) throw UsageError(message);
  const auto source = set_elsewhere.find(best->name);
  throw UsageError(fmt::format(
      "{}: {}", source != set_elsewhere.end() ? source->second : flag_of(best->name), message));
}

void ParamFlags::validate(const GenerationParams& params, int64_t base_steps,
                          int64_t upsampler_steps,
                          const std::map<std::string, std::string>& set_elsewhere) const {
  try {
    params.validate();
    if (base_steps > 0) params.base.validate("base", base_steps);
    if (upsampler_steps > 0) params.upsampler.validate("upsampler", upsampler_steps);
  } catch (const Error& e) {
    if (e.status() != Status::invalid_argument) throw;
    rethrow_naming_flag(e, set_elsewhere);
  }
}

}  // namespace glide::cli
