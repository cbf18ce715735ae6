#pragma once

// The command-line flags that set GenerationParams fields, shared by generate, upsample, inpaint
// and sweep. Every flag maps onto one field (pipeline/param_fields.hpp); only the flags given on
// the command line are applied, over the defaults or over parameters reloaded with --from.
#include <CLI/CLI.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "glide/error.hpp"
#include "glide/pipeline/generation_params.hpp"
#include "glide/pipeline/ineffective_settings.hpp"
#include "pipeline/param_fields.hpp"

namespace glide::cli {

struct FlagSet {
  bool common = true;           // --prompt, --negative-prompt, --seed, --device, --dtype
  bool base = true;             // the --base-* flags
  bool upsampler = true;        // the --upsampler-* flags
  bool batch = true;            // --batch-size
  bool upsample_switch = true;  // --upsample / --no-upsample
  bool several_prompts = true;  // --prompt may be repeated (one per image)
  // The defaults shown in --help (a command's own, e.g. inpaint's DDPM upsampler).
  GenerationParams defaults;
};

class ParamFlags {
 public:
  // Adds the flags to `cmd`; the object must outlive parsing.
  ParamFlags(CLI::App* cmd, FlagSet set);

  // `start` with every flag given on the command line applied; several --prompt flags without
  // --batch-size make one image each. Throws UsageError naming the flag for a value that does
  // not parse.
  GenerationParams apply(GenerationParams start) const;
  bool prompt_given() const;
  // The name of the first flag given on the command line (as typed in --help), "" when none.
  std::string first_given() const;

  // GenerationParams::validate(), and each stage's respacing against its model's process length
  // when given (> 0). Errors become UsageError naming the flag of the field at fault, or, for a
  // field in `set_elsewhere` (field name → what set it, such as a sweep's "--vary X=..."), that.
  void validate(const GenerationParams& params, int64_t base_steps = 0, int64_t upsampler_steps = 0,
                const std::map<std::string, std::string>& set_elsewhere = {}) const;

  // The flag names of a field ("--base-guidance-scale/--guidance-scale"), or its name when it
  // has no flag here.
  std::string flag_of(const std::string& field) const;

  // A note for each flag given on the command line that `params` make pointless, which the
  // library ignores rather than refuses: a guidance setting of an unguided stage (the upsampler
  // is unguided unless --upsampler-guided), a dynamic percentile without dynamic thresholding, an
  // upsampler flag with --no-upsample, a negative prompt that no guided stage reads.
  std::vector<std::string> ineffective_flags(const GenerationParams& params) const;
  // The same for the flags that every one of `runs` (a sweep's cells) makes pointless, but those
  // of the fields in `skip`.
  std::vector<std::string> ineffective_flags(const std::vector<const GenerationParams*>& runs,
                                             const std::vector<std::string>& skip) const;
  // The fields of the flags given on the command line.
  std::vector<std::string> given_fields() const;
  // Prints them on stderr as "glide: note: ...".
  void note_ineffective_flags(const GenerationParams& params) const;

 private:
  struct Flag {
    const ParamField* field = nullptr;
    CLI::Option* option = nullptr;
    std::string text;
    bool on = false;  // boolean flags
  };
  void add(CLI::App* cmd, const std::string& field, const std::string& names,
           const std::string& help, const GenerationParams& defaults);
  [[noreturn]] void rethrow_naming_flag(
      const Error& e, const std::map<std::string, std::string>& set_elsewhere) const;

  FlagSet set_;
  std::vector<std::unique_ptr<Flag>> flags_;  // stable addresses: CLI11 writes into them
  std::vector<std::string> prompts_;
  CLI::Option* prompt_option_ = nullptr;
};

// Why `setting` has no effect, in the command line's words: "the base stage is unguided (add
// --base-guided)".
std::string ineffective_reason(const IneffectiveSetting& setting, const GenerationParams& params);

// Why `field` has no effect in every one of `runs` (a sweep's cells): their distinct reasons,
// joined by ", or "; nullopt when some run reads it. The upsampler runs where `upsampler_stage`
// and the run upsamples, or where there is no `base_stage` (glide upsample).
std::optional<std::string> unread_in_every_run(const std::string& field,
                                               const std::vector<const GenerationParams*>& runs,
                                               bool base_stage, bool upsampler_stage);

}  // namespace glide::cli
