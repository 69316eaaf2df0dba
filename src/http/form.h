// application/x-www-form-urlencoded bodies, as OAuth token endpoints receive them.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace signet::http {

// The name/value pairs of `body` in order, decoded ('+' is a space, %XX a byte);
// repeated names are all returned (the caller decides, as RFC 6749 §3.2 requires).
// Reason form_invalid (invalid_request) for a malformed percent-escape.
Result<std::vector<std::pair<std::string, std::string>>> ParseForm(std::string_view body);

// The body for `fields`, in order: every byte outside A-Z a-z 0-9 - . _ ~ percent-encoded
// (a space as %20), so ParseForm gives `fields` back.
std::string EncodeForm(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace signet::http
