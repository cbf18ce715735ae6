#include "pipeline/param_fields.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <limits>

#include "glide/device_and_dtype.hpp"
#include "glide/error.hpp"

namespace glide {
namespace {

[[noreturn]] void expected(const std::string& what, const std::string& text) {
  throw Error(Status::invalid_argument, fmt::format("\"{}\" is not {}", text, what));
}

double parse_double(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  // strtod also reads hexadecimal ("0x10"), which no one means for a hyperparameter.
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0])) || *end != '\0' ||
      text.find_first_of("xX") != std::string::npos) {
    expected("a number", text);
  }
  return v == 0 ? 0.0 : v;  // -0 is 0: one value in records, CSVs and a sweep's distinct values
}

int64_t parse_int(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0])) || *end != '\0' ||
      errno == ERANGE) {
    expected("an integer", text);
  }
  return v;
}

bool parse_bool(const std::string& text) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  expected("true or false", text);
}

torch::Device device_value(const std::string& text) {
  try {
    return glide::parse_device(text);
  } catch (const Error&) {
    expected("a device (cpu, cuda or cuda:N)", text);
  }
}

torch::Dtype dtype_value(const std::string& text) {
  try {
    return parse_dtype(text);
  } catch (const Error&) {
    expected("a dtype (float32, float16 or bfloat16)", text);
  }
}

std::string dtype_text(torch::Dtype dtype) {
  if (dtype == torch::kFloat32) return "float32";
  if (dtype == torch::kFloat16) return "float16";
  if (dtype == torch::kBFloat16) return "bfloat16";
  return c10::toString(dtype);
}

template <typename T, T GenerationParams::*Member>
FieldRef top_ref(GenerationParams& p) {
  return &(p.*Member);
}

template <StageParams GenerationParams::*Stage, typename T, T StageParams::*Member>
FieldRef stage_ref(GenerationParams& p) {
  return &(p.*Stage.*Member);
}

template <StageParams GenerationParams::*Stage>
void add_stage_fields(std::vector<ParamField>& fields, const std::string& stage) {
  const auto add = [&](const char* name, FieldRef (*ref)(GenerationParams&), const char* label) {
    fields.push_back({stage + "." + name, stage, ref, stage + "." + label});
  };
  using S = StageParams;
  add("sampler", &stage_ref<Stage, std::string, &S::sampler>, "sampler");
  add("respacing", &stage_ref<Stage, std::string, &S::respacing>, "steps");
  add("eta", &stage_ref<Stage, std::optional<double>, &S::eta>, "eta");
  add("guided", &stage_ref<Stage, bool, &S::guided>, "guided");
  add("guidance_scale", &stage_ref<Stage, double, &S::guidance_scale>, "guidance_scale");
  add("guidance_rescale", &stage_ref<Stage, double, &S::guidance_rescale>, "guidance_rescale");
  add("thresholding", &stage_ref<Stage, std::string, &S::thresholding>, "thresholding");
  add("dynamic_percentile", &stage_ref<Stage, double, &S::dynamic_percentile>,
      "dynamic_percentile");
  add("temperature", &stage_ref<Stage, double, &S::temperature>, "temperature");
}

std::vector<ParamField> make_fields() {
  using G = GenerationParams;
  std::vector<ParamField> f = {
      {"prompts", "", &top_ref<std::vector<std::string>, &G::prompts>, "prompt"},
      {"negative_prompt", "", &top_ref<std::string, &G::negative_prompt>, "negative_prompt"},
      {"batch_size", "", &top_ref<int64_t, &G::batch_size>, "batch_size"},
      {"seed", "", &top_ref<uint64_t, &G::seed>, "seed"},
      {"device", "", &top_ref<torch::Device, &G::device>, "device"},
      {"dtype", "", &top_ref<torch::Dtype, &G::dtype>, "dtype"},
      {"upsample", "", &top_ref<bool, &G::upsample>, "upsample"},
  };
  add_stage_fields<&G::base>(f, "base");
  add_stage_fields<&G::upsampler>(f, "upsampler");
  return f;
}

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

// Reading through FieldRef needs a non-const GenerationParams; these functions only read.
FieldRef read_ref(const ParamField& field, const GenerationParams& params) {
  return field.ref(const_cast<GenerationParams&>(params));
}

}  // namespace

uint64_t parse_seed(const std::string& text) {
  // strtoull would accept "-1" and wrap it around.
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    expected("a seed (an integer from 0 to 18446744073709551615)", text);
  }
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
  if (errno == ERANGE) expected("a seed (an integer from 0 to 18446744073709551615)", text);
  return v;
}

const std::vector<ParamField>& param_fields() {
  static const std::vector<ParamField> fields = make_fields();
  return fields;
}

const ParamField* find_param_field(const std::string& name) {
  std::string canonical = name == "prompt" ? "prompts" : name;
  const size_t dot = canonical.find('.');
  std::string stage = dot == std::string::npos ? "" : canonical.substr(0, dot);
  std::string member = dot == std::string::npos ? canonical : canonical.substr(dot + 1);
  if (member == "steps") member = "respacing";
  for (int pass = 0; pass < 2; ++pass) {
    const std::string full = stage.empty() ? member : stage + "." + member;
    for (const ParamField& f : param_fields()) {
      if (f.name == full) return &f;
    }
    if (!stage.empty()) break;
    stage = "base";  // an unqualified stage field names the base stage's
  }
  return nullptr;
}

std::string param_field_names() {
  std::string names;
  for (const ParamField& f : param_fields()) names += (names.empty() ? "" : ", ") + f.name;
  return names;
}

bool is_empty_respacing(const ParamField& field, const std::string& text) {
  const std::string suffix = ".respacing";
  return text.empty() && field.name.size() > suffix.size() &&
         field.name.compare(field.name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string field_text(const ParamField& field, const GenerationParams& params) {
  return std::visit(
      Overloaded{
          [](std::vector<std::string>* v) {
            return v->size() == 1 ? v->front() : nlohmann::json(*v).dump();
          },
          [](std::string* v) { return *v; },
          [](double* v) { return fmt::format("{}", *v); },  // shortest text that reads back exactly
          [](int64_t* v) { return std::to_string(*v); },
          [](uint64_t* v) { return std::to_string(*v); },
          [](std::optional<double>* v) {
            return *v ? fmt::format("{}", **v) : std::string("default");
          },
          [](bool* v) { return std::string(*v ? "true" : "false"); },
          [](torch::Device* v) { return v->str(); },
          [](torch::Dtype* v) { return dtype_text(*v); },
      },
      read_ref(field, params));
}

void set_field_text(const ParamField& field, GenerationParams& params, const std::string& text) {
  std::visit(Overloaded{
                 [&](std::vector<std::string>* v) { *v = {text}; },
                 [&](std::string* v) { *v = text; },
                 [&](double* v) { *v = parse_double(text); },
                 [&](int64_t* v) { *v = parse_int(text); },
                 [&](uint64_t* v) { *v = parse_seed(text); },
                 [&](std::optional<double>* v) {
                   *v =
                       text == "default" ? std::nullopt : std::optional<double>(parse_double(text));
                 },
                 [&](bool* v) { *v = parse_bool(text); },
                 [&](torch::Device* v) { *v = device_value(text); },
                 [&](torch::Dtype* v) { *v = dtype_value(text); },
             },
             field.ref(params));
}

nlohmann::ordered_json params_to_json(const GenerationParams& params) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const ParamField& field : param_fields()) {
    nlohmann::ordered_json value =
        std::visit(Overloaded{
                       [](std::vector<std::string>* v) { return nlohmann::ordered_json(*v); },
                       [](std::string* v) { return nlohmann::ordered_json(*v); },
                       [](double* v) { return nlohmann::ordered_json(*v); },
                       [](int64_t* v) { return nlohmann::ordered_json(*v); },
                       [](uint64_t* v) { return nlohmann::ordered_json(*v); },
                       [](std::optional<double>* v) {
                         return *v ? nlohmann::ordered_json(**v) : nlohmann::ordered_json(nullptr);
                       },
                       [](bool* v) { return nlohmann::ordered_json(*v); },
                       [](torch::Device* v) { return nlohmann::ordered_json(v->str()); },
                       [](torch::Dtype* v) { return nlohmann::ordered_json(dtype_text(*v)); },
                   },
                   read_ref(field, params));
    if (field.stage.empty()) {
      out[field.name] = std::move(value);
    } else {
      out[field.stage][field.name.substr(field.stage.size() + 1)] = std::move(value);
    }
  }
  return out;
}

namespace {

void set_field_json(const ParamField& field, GenerationParams& params,
                    const nlohmann::json& value) {
  const auto wrong = [&](const char* what) {
    throw Error(Status::invalid_format,
                fmt::format("parameter \"{}\" is {}; expected {}", field.name, value.dump(), what));
  };
  std::visit(Overloaded{
                 [&](std::vector<std::string>* v) {
                   if (!value.is_array()) wrong("an array of strings");
                   v->clear();
                   for (const auto& item : value) {
                     if (!item.is_string()) wrong("an array of strings");
                     v->push_back(item.get<std::string>());
                   }
                 },
                 [&](std::string* v) {
                   if (!value.is_string()) wrong("a string");
                   *v = value.get<std::string>();
                 },
                 [&](double* v) {
                   if (!value.is_number()) wrong("a number");
                   *v = value.get<double>();
                 },
                 [&](int64_t* v) {
                   if (!value.is_number_integer() ||
                       (value.is_number_unsigned() &&
                        value.get<uint64_t>() > uint64_t{std::numeric_limits<int64_t>::max()})) {
                     wrong("an integer from -2^63 to 2^63-1");
                   }
                   *v = value.get<int64_t>();
                 },
                 [&](uint64_t* v) {
                   if (!value.is_number_unsigned()) wrong("an integer >= 0");
                   *v = value.get<uint64_t>();
                 },
                 [&](std::optional<double>* v) {
                   if (!value.is_null() && !value.is_number()) wrong("a number or null");
                   *v = value.is_null() ? std::nullopt : std::optional<double>(value.get<double>());
                 },
                 [&](bool* v) {
                   if (!value.is_boolean()) wrong("true or false");
                   *v = value.get<bool>();
                 },
                 [&](auto* v) {  // device and dtype are stored in their text form
                   if (!value.is_string()) wrong("a string");
                   try {
                     set_field_text(field, params, value.get<std::string>());
                   } catch (const Error& e) {
                     wrong(e.what());
                   }
                   (void)v;
                 },
             },
             field.ref(params));
}

const ParamField* exact_field(const std::string& name) {
  for (const ParamField& f : param_fields()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace

GenerationParams params_from_json(const nlohmann::json& json, GenerationParams start) {
  if (!json.is_object()) {
    throw Error(Status::invalid_format, "generation parameters must be a JSON object");
  }
  for (const auto& [key, value] : json.items()) {
    if (key == "base" || key == "upsampler") {
      if (!value.is_object()) {
        throw Error(Status::invalid_format,
                    fmt::format("parameter \"{}\" is {}; expected an object of the {} stage's "
                                "parameters",
                                key, value.type_name(), key));
      }
      for (const auto& [member, v] : value.items()) {
        const ParamField* field = exact_field(key + "." + member);
        if (!field) {
          throw Error(Status::invalid_format,
                      fmt::format("unknown generation parameter \"{}.{}\"", key, member));
        }
        set_field_json(*field, start, v);
      }
      continue;
    }
    const ParamField* field = exact_field(key);
    if (!field || !field->stage.empty()) {
      throw Error(Status::invalid_format, fmt::format("unknown generation parameter \"{}\"", key));
    }
    set_field_json(*field, start, value);
  }
  return start;
}

torch::Dtype parse_dtype_flag(const std::string& flag, const std::string& text) {
  try {
    return dtype_value(text);
  } catch (const Error& e) {
    throw Error(e.status(), fmt::format("{}: {}", flag, e.what()));
  }
}

}  // namespace glide
