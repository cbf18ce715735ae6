#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "glide/error.hpp"

namespace glide::detail {

// Parses JSON text that a user or a file supplied (config files, checkpoint metadata). On failure
// throws glide::Error(`status`) "<what> is not valid JSON: ..." naming the line and column where it
// breaks, without quoting the text (it may be anything, binary included). A key given twice in
// one object is refused too: JSON readers disagree on which one wins, so one of them is a mistake.
nlohmann::json parse_json(std::string_view text, const std::string& what,
                          Status status = Status::invalid_format);

}  // namespace glide::detail
