// SHA-256 as lowercase hex, for hash chains and for storing token secrets by hash.
#pragma once

#include <string>
#include <string_view>

namespace signet {

// Lowercase hex SHA-256 of `data` (64 characters). Aborts if OpenSSL cannot hash: every
// caller (the audit chain, admin token lookup) would otherwise fail open or write an
// unverifiable trail.
std::string Sha256Hex(std::string_view data);

}  // namespace signet
