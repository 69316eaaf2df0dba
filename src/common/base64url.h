// base64url without padding (RFC 4648 §5, as RFC 7515 §2 uses it), decoded strictly.
//
// The decoder accepts exactly one spelling of each byte string: the URL-safe alphabet,
// no '=' padding, no whitespace, no length of 1 mod 4, and zero unused trailing bits.
// Anything else is an error with reason "base64url_noncanonical", so two different
// encodings can never verify as the same token.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace signet {

std::string Base64UrlEncode(std::span<const uint8_t> bytes);
std::string Base64UrlEncode(std::string_view bytes);

// Decodes `text`; on failure the status is invalid_request with reason
// "base64url_noncanonical". Callers re-code it for their context.
Result<std::string> Base64UrlDecode(std::string_view text);

// Decodes into `out` (cleared first); false when `text` is not canonical base64url.
bool Base64UrlDecodeTo(std::string_view text, std::string& out);

// Standard base64 with padding (RFC 4648 §4), as HTTP Basic credentials and key
// fingerprints use it.
std::string Base64Encode(std::string_view bytes);

// Hex helpers, for test vectors and fingerprints.
std::string HexEncode(std::span<const uint8_t> bytes);
Result<std::string> HexDecode(std::string_view hex);

}  // namespace signet
