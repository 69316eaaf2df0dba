// The access configuration as canonical YAML, and what changes between two versions.
//
// `signet apply` stores the canonical text of what it applied; export prints it and diff
// compares two of them object by object. Canonical means: the same configuration, however
// it was split into files and whatever order its lists and keys were written in, gives
// the same bytes, and parsing those bytes (ParseAccessDocuments) and canonicalising again
// gives them back. So an exported configuration applied again changes nothing.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace YAML {
class Node;
}  // namespace YAML

namespace signet::server {

// The access sections, in the order canonical YAML lists them.
inline constexpr std::array<std::string_view, 4> kAccessSections = {"issuers", "workloads",
                                                                    "destinations", "policies"};

// The access sections as canonical YAML. `items[s]` holds the items of section
// kAccessSections[s] as the parser accepted them (YAML mappings with a `name`), in the
// order they were defined.
//
// - Sections in the order issuers, workloads, destinations, policies; an empty section is
//   left out, and with every section empty the text is empty ("").
// - Issuers, workloads and destinations sorted by name. Policies keep the order they were
//   defined in (documents in the order given, then list order): the first matching allow
//   policy grants, so that order is part of what the configuration means.
// - Within an item, `name` first, then the other keys in the order docs/config.md lists
//   them (issuers: kind, agents, issuer, audiences, algorithms, jwks_uri, jwks,
//   refetch_interval, keys_max_age, leeway, max_lifetime, max_token_age; workloads: identities,
//   each identity issuer then claims; destinations: kind, audience, url; policies: effect,
//   workloads, destinations, max_ttl, scopes). Claim maps and matchers ({glob}, {one_of})
//   sorted by key (byte order).
// - Lists inside an item (audiences, identities, one_of, scopes, ...) keep their order,
//   and a single value stays a single value (`audiences: signet` is not `[signet]`).
// - Block style throughout, indented by 2, one value per line, ending with a newline.
//   Scalars keep their text ("10m" stays "10m", aliases are expanded); they are written
//   plain when that reads back as the same string, and quoted otherwise: double quotes
//   for words YAML readers take for booleans or null (true, no, on, y, null, ~, ...),
//   for "*", "", ": " and the like, and for multi-line text; single quotes for one-line
//   text holding '"' (an inline JWKS).
std::string CanonicalYaml(const std::array<std::vector<YAML::Node>, 4>& items);

// One object added, removed or changed between two canonical texts.
struct ConfigChange {
  enum class Kind { kAdded, kRemoved, kChanged };

  Kind kind = Kind::kChanged;
  // "<section>/<name>" ("workloads/billing-api"). Just "policies" for a change in the
  // order of the policies present in both versions (see DiffAccessConfig).
  std::string object;
  // The object's canonical YAML (the item without its "- " list marker), line by line,
  // unified-diff style: " " unchanged, "-" removed, "+" added, then the line. All "+" for
  // an added object, all "-" for a removed one.
  std::vector<std::string> lines;

  bool operator==(const ConfigChange&) const = default;
};

// What changes from `before` to `after` (canonical texts, "" for none): one entry per
// added, removed or changed object, in section order then name order. Objects are
// compared by their canonical YAML (re-emitted from the parsed text, so two texts that
// differ only in layout compare equal); lines are diffed with a longest-common-subsequence
// diff, removals before additions. When the policies present in both versions are in a
// different order, one more entry, object "policies" (kChanged, first among the
// policies' entries), diffs their names in the old and the new order. A text that does
// not parse as access sections is compared as a whole: one kChanged entry, object
// "config", when the texts differ.
std::vector<ConfigChange> DiffAccessConfig(std::string_view before_canonical,
                                           std::string_view after_canonical);

// For people (the CLI): per change a header, "+ workloads/new", "- destinations/old" or
// "~ policies/x", then its lines indented by two spaces; every line ends with "\n".
// "no changes\n" when there are none.
std::string FormatConfigDiff(const std::vector<ConfigChange>& changes);

// One line for the audit trail: "+workloads/a ~policies/b -destinations/c", object names
// only (never a value), in the order of `changes`; "no changes" when there are none.
std::string SummarizeConfigDiff(const std::vector<ConfigChange>& changes);

}  // namespace signet::server
