#include "common/json.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <cmath>
#include <exception>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

namespace signet {
namespace {

using boost::json::error_code;
using boost::json::string_view;

constexpr std::string_view kDuplicateMember = "json_duplicate_member";

// Builds a boost::json::value like Boost's own parser handler, and in addition tracks
// the member names of every open object to refuse duplicates.
struct StrictHandler {
  static constexpr size_t max_object_size = boost::json::object::max_size();
  static constexpr size_t max_array_size = boost::json::array::max_size();
  static constexpr size_t max_key_size = boost::json::string::max_size();
  static constexpr size_t max_string_size = boost::json::string::max_size();

  // basic_parser constructs its handler from the storage_ptr it is given; spelled out
  // because clang 14 lacks C++20 parenthesized aggregate initialization.
  explicit StrictHandler(boost::json::storage_ptr sp) : st(std::move(sp)) {}

  boost::json::value_stack st;
  std::vector<std::string> keys;         // names of members of all open objects
  std::vector<size_t> object_first_key;  // index in `keys` where each open object starts
  // For an open object with many members, a hash index of its names (else null): a
  // linear scan is fastest for the few members of a token, and the index keeps a large
  // key set from costing quadratic time.
  std::vector<std::unique_ptr<std::unordered_set<std::string>>> object_index;
  std::string partial_key;
  bool duplicate = false;
  bool out_of_range = false;

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) {
    object_first_key.push_back(keys.size());
    object_index.emplace_back();
    return true;
  }
  bool on_object_end(size_t n, error_code&) {
    keys.resize(object_first_key.back());
    object_first_key.pop_back();
    object_index.pop_back();
    st.push_object(n);
    return true;
  }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(size_t n, error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(string_view s, size_t, error_code&) {
    partial_key.append(s.data(), s.size());
    st.push_chars(s);
    return true;
  }
  bool on_key(string_view s, size_t, error_code& ec) {
    partial_key.append(s.data(), s.size());
    if (IsDuplicate(partial_key)) {
      duplicate = true;
      ec = boost::json::error::syntax;
      return false;
    }
    keys.push_back(std::move(partial_key));
    partial_key.clear();
    st.push_key(s);
    return true;
  }
  bool IsDuplicate(const std::string& key) {
    constexpr size_t kLinearScanMembers = 32;
    auto& index = object_index.back();
    if (index) {
      return !index->insert(key).second;
    }
    const size_t first = object_first_key.back();
    for (size_t i = first; i < keys.size(); ++i) {
      if (keys[i] == key) {
        return true;
      }
    }
    if (keys.size() - first >= kLinearScanMembers) {
      index = std::make_unique<std::unordered_set<std::string>>(keys.begin() + first, keys.end());
      index->insert(key);
    }
    return false;
  }
  bool on_string_part(string_view s, size_t, error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(string_view s, size_t, error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(int64_t i, string_view, error_code&) {
    st.push_int64(i);
    return true;
  }
  bool on_uint64(uint64_t u, string_view, error_code&) {
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, string_view, error_code& ec) {
    // 1e400 overflows to infinity, which JSON cannot spell: Boost writes it back as
    // "Infinity", so a value read here would make any JSON built from it invalid.
    if (!std::isfinite(d)) {
      out_of_range = true;
      ec = boost::json::error::exponent_overflow;
      return false;
    }
    st.push_double(d);
    return true;
  }
  bool on_bool(bool b, error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }
};

Status JsonError(std::string_view reason, std::string message) {
  return Status(ErrorCode::kInvalidRequest, reason, std::move(message));
}

}  // namespace

Result<boost::json::value> ParseJson(std::string_view text, const JsonLimits& limits) {
  boost::json::parse_options options;
  options.max_depth = limits.max_depth;
  options.allow_comments = false;
  options.allow_trailing_commas = false;
  options.allow_invalid_utf8 = false;
  try {
    boost::json::basic_parser<StrictHandler> parser(options, boost::json::storage_ptr());
    parser.handler().st.reset();
    error_code ec;
    size_t consumed = parser.write_some(false, text.data(), text.size(), ec);
    if (parser.handler().duplicate) {
      return JsonError(kDuplicateMember, "JSON object has a duplicate member name");
    }
    if (parser.handler().out_of_range) {
      return JsonError("json_number_out_of_range", "JSON number beyond the range of a double");
    }
    if (ec == boost::json::error::too_deep) {
      return JsonError("json_too_deep",
                       "JSON nesting deeper than " + std::to_string(limits.max_depth) + " levels");
    }
    if (ec) {
      return JsonError("json_malformed", "malformed JSON: " + ec.message());
    }
    if (consumed < text.size()) {
      return JsonError("json_trailing_data", "data after the end of the JSON value");
    }
    return parser.handler().st.release();
  } catch (const std::exception& e) {
    return JsonError("json_malformed", std::string("malformed JSON: ") + e.what());
  }
}

Result<boost::json::object> ParseJsonObject(std::string_view text, const JsonLimits& limits) {
  SIGNET_ASSIGN_OR_RETURN(boost::json::value value, ParseJson(text, limits));
  if (!value.is_object()) {
    return JsonError("json_not_object", "JSON value is not an object");
  }
  return std::move(value.as_object());
}

}  // namespace signet
