#include "io/json_text.hpp"

#include <fmt/format.h>

#include <optional>
#include <set>
#include <vector>

namespace glide::detail {
namespace {

// Configs and metadata nest three or four levels; the pickle reader allows 64 too.
constexpr int kMaxDepth = 64;

// "line L, column C" of the 1-based byte position nlohmann reports.
std::string position_of(std::string_view text, size_t byte) {
  const size_t end = std::min(byte == 0 ? 0 : byte - 1, text.size());
  size_t line = 1, column = 1;
  for (size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return fmt::format("line {}, column {}", line, column);
}

}  // namespace

nlohmann::json parse_json(std::string_view text, const std::string& what, Status status) {
  // The keys seen in each object being read, innermost last, to find one given twice.
  std::vector<std::set<std::string>> open_objects;
  std::optional<std::string> duplicate;  // "" is a key too
  const nlohmann::json::parser_callback_t watch_keys =
      [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        using Event = nlohmann::json::parse_event_t;
        // nlohmann's dump and copy recurse: a file nesting 60,000 deep overflowed the stack.
        if (depth > kMaxDepth) {
          throw Error(status, fmt::format("{} nests deeper than {} levels; no glide file does",
                                          what, kMaxDepth));
        }
        if (event == Event::object_start) open_objects.emplace_back();
        if (event == Event::object_end && !open_objects.empty()) open_objects.pop_back();
        if (event == Event::key && !open_objects.empty() &&
            !open_objects.back().insert(parsed.get<std::string>()).second && !duplicate) {
          duplicate = parsed.get<std::string>();
        }
        return true;
      };
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(text.begin(), text.end(), watch_keys);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(status, fmt::format("{} is not valid JSON: it breaks at {}", what,
                                    position_of(text, e.byte)));
  } catch (const nlohmann::json::exception&) {  // a number beyond any double's range
    throw Error(status, fmt::format("{} is not valid JSON: it holds a number out of range", what));
  }
  if (duplicate) {
    throw Error(status, fmt::format("{} gives the key \"{}\" twice in one object; keep one", what,
                                    *duplicate));
  }
  return value;
}

}  // namespace glide::detail
