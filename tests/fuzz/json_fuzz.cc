// Fuzzes signet::ParseJson and ParseJsonObject, the strict JSON reader every untrusted
// document goes through, and checks it against Boost.JSON's own parser:
//   - whatever Signet accepts, boost::json::parse accepts too and reads as the same
//     value (Signet only adds refusals; it must never read a document differently);
//   - whatever boost::json::parse accepts, Signet accepts too, unless it has a
//     duplicate member, is nested too deep or has a number that overflows a double
//     (the refusals Signet adds);
//   - ParseJsonObject accepts exactly the objects ParseJson accepts;
//   - an accepted value, serialized again, parses back to the same value, except that a
//     double may move by an ulp or two: Boost.JSON 1.81 parses doubles fast rather than
//     correctly rounded (parse_options::numbers, precise mode, came later), so
//     118446744073709551616 reads as 0x1.9af1d78b58c4p+66 but its shortest spelling
//     1.1844674407370955E20 reads back as 0x1.9af1d78b58c41p+66.
// Any violation aborts, so libFuzzer reports it as a crash.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "common/json.h"

namespace {

// Larger than any document Signet reads (tokens are capped at 64 KiB); longer inputs only
// slow the fuzzer down.
constexpr size_t kMaxInput = 64 * 1024;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "json_fuzz: property violated: %s\n", what);
  std::abort();
}

// Whether `a` and `b` are the same JSON value, doubles allowed a few ulps apart.
bool SameUpToDoubleRounding(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double()) {
    double x = a.as_double(), y = b.as_double();
    if (x > y) std::swap(x, y);
    for (int ulps = 0; ulps < 4 && x < y; ++ulps) x = std::nextafter(x, y);
    return x == y;
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const boost::json::array &x = a.as_array(), &y = b.as_array();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!SameUpToDoubleRounding(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const boost::json::object &x = a.as_object(), &y = b.as_object();
    if (x.size() != y.size()) return false;
    for (const auto& member : x) {
      const boost::json::value* other = y.if_contains(member.key());
      if (other == nullptr || !SameUpToDoubleRounding(member.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  signet::Result<boost::json::value> value = signet::ParseJson(text);
  signet::Result<boost::json::object> object = signet::ParseJsonObject(text);

  // Boost.JSON's defaults are as strict as Signet's options (no comments, no trailing
  // commas, valid UTF-8) but allow depth 32 and keep the last of duplicate members.
  boost::json::error_code ec;
  boost::json::value reference = boost::json::parse(text, ec);

  if (value.ok()) {
    if (ec) Fail("ParseJson accepted what boost::json::parse refused");
    if (*value != reference) Fail("ParseJson and boost::json::parse read different values");

    std::string again = boost::json::serialize(*value);
    signet::Result<boost::json::value> reparsed = signet::ParseJson(again);
    if (!reparsed.ok()) Fail("ParseJson refused its own value serialized again");
    if (!SameUpToDoubleRounding(*reparsed, *value)) {
      Fail("serialize/ParseJson round trip changed the value");
    }
  } else if (!ec) {
    // Result::status() returns a copy, and reason() points into it: keep the copy.
    const signet::Status status = value.status();
    if (status.reason() != "json_duplicate_member" && status.reason() != "json_too_deep" &&
        status.reason() != "json_number_out_of_range") {
      Fail("ParseJson refused, beyond the refusals it adds, what boost accepted");
    }
  }

  const bool is_object = value.ok() && value->is_object();
  if (object.ok() != is_object) Fail("ParseJsonObject disagrees with ParseJson");
  if (object.ok() && *object != value->as_object()) Fail("ParseJsonObject read another object");
  if (!value.ok() && object.status().reason() != value.status().reason()) {
    Fail("ParseJsonObject refused for another reason than ParseJson");
  }
  return 0;
}
