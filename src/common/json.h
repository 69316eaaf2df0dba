// Strict JSON parsing for untrusted input (tokens, JWKS, request bodies).
//
// Boost.JSON's own parse() keeps the last of duplicate member names and has no option
// to refuse them (boostorg/json #278). Differential first-wins/last-wins parsing is a
// claim-smuggling vector, so every JSON that Signet reads from outside goes through
// ParseJson, which refuses:
//   - duplicate member names at any level, compared after unescaping
//     ("\u0061ud" duplicates "aud")                          reason json_duplicate_member
//   - nesting deeper than JsonLimits::max_depth             reason json_too_deep
//   - numbers beyond the range of a double (1e400), which
//     would serialize as the non-JSON "Infinity"            reason json_number_out_of_range
//   - anything after the value but whitespace               reason json_trailing_data
//   - invalid UTF-8, comments, trailing commas, bad syntax  reason json_malformed
// and ParseJsonObject additionally a top-level value that is not an object
//                                                          reason json_not_object.
// Errors carry ErrorCode::kInvalidRequest; callers may re-code them for their context.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <string_view>

#include "common/status.h"

namespace signet {

struct JsonLimits {
  size_t max_depth = 16;

  friend bool operator==(const JsonLimits&, const JsonLimits&) = default;
};

Result<boost::json::value> ParseJson(std::string_view text, const JsonLimits& limits = {});
Result<boost::json::object> ParseJsonObject(std::string_view text, const JsonLimits& limits = {});

}  // namespace signet
