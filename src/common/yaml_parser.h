// yaml::Parser: reads Signet's YAML configuration files (signetd's, signet-agent's) so
// that every error names the file, the line and the field
// ("signet.yaml:14: issuers[0].audiences: must be a non-empty list"), unknown keys are
// errors that list the known ones, and a key set twice is an error: a typo never falls
// back to a default silently. yaml-cpp throws on type mismatches; the typed readers
// catch that per field.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace signet::yaml {

class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source) {}

  // "<source>:<line>" of a node; just the source for a node that is not in the text.
  std::string Where(const YAML::Node& node) const {
    std::string where = source_;
    if (node.IsDefined() && node.Mark().line >= 0) {
      where += ":" + std::to_string(node.Mark().line + 1);
    }
    return where;
  }

  Status Error(const YAML::Node& node, std::string_view field, std::string_view problem) const {
    return Status(ErrorCode::kInvalidConfig, "config_invalid",
                  Where(node) + ": " + std::string(field) + ": " + std::string(problem));
  }

  // A syntax error, or a yaml-cpp exception while reading this source's nodes.
  Status Exception(const YAML::Exception& e) const {
    // e.what() already says "yaml-cpp: error at line"; the mark carries the line.
    return Status(ErrorCode::kInvalidConfig, "config_invalid",
                  source_ + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }

  Status CheckKeys(const YAML::Node& node, std::string_view field,
                   const std::set<std::string>& known) const {
    if (!node.IsMap()) {
      return Error(node, field, "must be a mapping");
    }
    SIGNET_RETURN_IF_ERROR(CheckNoDuplicateKeys(node, field));
    for (const auto& entry : node) {
      std::string key = entry.first.Scalar();
      if (!known.contains(key)) {
        std::string list;
        for (const auto& k : known) {
          list += (list.empty() ? "" : ", ") + k;
        }
        return Error(entry.first, Join(field, key), "unknown setting (known: " + list + ")");
      }
    }
    return Status::Ok();
  }

  // YAML forbids a key twice in one mapping, but yaml-cpp keeps both and lookups see the
  // first: a reviewer reading the second would approve what is not in force.
  Status CheckNoDuplicateKeys(const YAML::Node& node, std::string_view field) const {
    std::set<std::string> seen;
    for (const auto& entry : node) {
      std::string key = entry.first.Scalar();
      if (!seen.insert(key).second) {
        return Error(entry.first, Join(field, key), "is set twice in one mapping");
      }
    }
    return Status::Ok();
  }

  Result<std::string> String(const YAML::Node& node, std::string_view field) const {
    if (!node.IsScalar() || node.Scalar().empty()) {
      return Error(node, field, "must be a non-empty string");
    }
    return node.Scalar();
  }

  Result<std::vector<std::string>> StringList(const YAML::Node& node,
                                              std::string_view field) const {
    if (node.IsScalar()) {
      SIGNET_ASSIGN_OR_RETURN(std::string one, String(node, field));
      return std::vector<std::string>{one};
    }
    if (!node.IsSequence() || node.size() == 0) {
      return Error(node, field, "must be a string or a non-empty list of strings");
    }
    std::vector<std::string> values;
    for (size_t i = 0; i < node.size(); ++i) {
      SIGNET_ASSIGN_OR_RETURN(std::string value, String(node[i], Index(field, i)));
      values.push_back(std::move(value));
    }
    return values;
  }

  Result<std::chrono::seconds> Duration(const YAML::Node& node, std::string_view field) const {
    std::optional<std::chrono::seconds> d;
    if (node.IsScalar()) {
      d = ParseDuration(node.Scalar());
    }
    if (!d || d->count() <= 0) {
      return Error(node, field, "must be a positive duration such as 90s, 15m, 1h or 1d");
    }
    return *d;
  }

  // Like Duration, but 0 is allowed (a setting that 0 turns off).
  Result<std::chrono::seconds> DurationOrZero(const YAML::Node& node,
                                              std::string_view field) const {
    std::optional<std::chrono::seconds> d;
    if (node.IsScalar()) {
      d = ParseDuration(node.Scalar());
    }
    if (!d) {
      return Error(node, field, "must be 0 or a duration such as 90s, 15m, 1h or 30d");
    }
    return *d;
  }

  Result<bool> Bool(const YAML::Node& node, std::string_view field) const {
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
      return Error(node, field, "must be true or false");
    }
    return value;
  }

  static std::string Join(std::string_view parent, std::string_view key) {
    return parent.empty() ? std::string(key) : std::string(parent) + "." + std::string(key);
  }
  static std::string Index(std::string_view parent, size_t i) {
    return std::string(parent) + "[" + std::to_string(i) + "]";
  }

 private:
  std::string source_;
};

// Parses the YAML text `yaml` (named `source` in errors) with `parse`, which reads the
// document's root with a Parser; a syntax error is config_invalid naming the line.
template <typename Parse>
auto ParseDocument(std::string_view yaml, std::string_view source, Parse parse)
    -> decltype(parse(std::declval<const Parser&>(), YAML::Node())) {
  Parser parser(source);
  try {
    return parse(parser, YAML::Load(std::string(yaml)));
  } catch (const YAML::Exception& e) {
    return parser.Exception(e);
  }
}

// The text of the configuration file at `path`; config_invalid naming it when it cannot
// be read.
inline Result<std::string> ReadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status(ErrorCode::kInvalidConfig, "config_invalid", "cannot read config file " + path);
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace signet::yaml
