#include "common/base64url.h"

#include <openssl/evp.h>

#include <array>

namespace signet {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr uint8_t kInvalid = 0xff;

constexpr std::array<uint8_t, 256> MakeDecodeTable() {
  std::array<uint8_t, 256> table{};
  for (auto& v : table) {
    v = kInvalid;
  }
  for (uint8_t i = 0; i < 64; ++i) {
    table[static_cast<uint8_t>(kAlphabet[i])] = i;
  }
  return table;
}
constexpr std::array<uint8_t, 256> kDecode = MakeDecodeTable();

}  // namespace

std::string Base64UrlEncode(std::span<const uint8_t> bytes) {
  // Sized once and written through a pointer: a push_back per character was a visible
  // share of a token exchange.
  std::string out((bytes.size() * 4 + 2) / 3, '\0');
  char* o = out.data();
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    *o++ = kAlphabet[(v >> 18) & 63];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
    *o++ = kAlphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t{bytes[i]} << 16;
    *o++ = kAlphabet[(v >> 18) & 63];
    *o++ = kAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8);
    *o++ = kAlphabet[(v >> 18) & 63];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string Base64UrlEncode(std::string_view bytes) {
  return Base64UrlEncode(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

bool Base64UrlDecodeTo(std::string_view text, std::string& out) {
  out.clear();
  size_t rest = text.size() % 4;
  if (rest == 1) {
    return false;
  }
  out.resize(text.size() / 4 * 3 + (rest == 0 ? 0 : rest - 1));
  char* o = out.data();
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  size_t i = 0;
  for (; i + 4 <= text.size(); i += 4) {
    uint8_t a = kDecode[p[i]], b = kDecode[p[i + 1]], c = kDecode[p[i + 2]], d = kDecode[p[i + 3]];
    if (((a | b | c | d) & 0xc0) != 0) {  // kInvalid has the high bits no sextet has
      out.clear();
      return false;
    }
    uint32_t v = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6) | d;
    *o++ = static_cast<char>(v >> 16);
    *o++ = static_cast<char>((v >> 8) & 0xff);
    *o++ = static_cast<char>(v & 0xff);
  }
  bool canonical = true;
  if (rest == 2) {
    uint8_t a = kDecode[p[i]], b = kDecode[p[i + 1]];
    // The 4 low bits of `b` are not part of the output: canonical form has them zero.
    canonical = a != kInvalid && b != kInvalid && (b & 0x0f) == 0;
    *o = static_cast<char>((a << 2) | (b >> 4));
  } else if (rest == 3) {
    uint8_t a = kDecode[p[i]], b = kDecode[p[i + 1]], c = kDecode[p[i + 2]];
    canonical = a != kInvalid && b != kInvalid && c != kInvalid && (c & 0x03) == 0;
    uint32_t v = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6);
    o[0] = static_cast<char>(v >> 16);
    o[1] = static_cast<char>((v >> 8) & 0xff);
  }
  if (!canonical) {
    out.clear();
  }
  return canonical;
}

Result<std::string> Base64UrlDecode(std::string_view text) {
  std::string out;
  if (!Base64UrlDecodeTo(text, out)) {
    return Status(ErrorCode::kInvalidRequest, "base64url_noncanonical",
                  "not canonical unpadded base64url");
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(written));
  return out;
}

std::string HexEncode(std::span<const uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

Result<std::string> HexDecode(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) {
    return Status(ErrorCode::kInvalidRequest, "hex_invalid", "odd number of hex digits");
  }
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return Status(ErrorCode::kInvalidRequest, "hex_invalid", "not a hex digit");
    }
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

}  // namespace signet
