#include "server/config_diff.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace signet::server {
namespace {

constexpr size_t kWorkloads = 1;
constexpr size_t kPolicies = 3;

// The keys of an item: `name`, then the others as docs/config.md lists them. A key not
// listed (none, once the parser has checked the item) follows the listed ones, sorted.
const std::vector<std::string_view>& ItemKeyOrder(size_t section) {
  static const std::array<std::vector<std::string_view>, 4> kOrder = {{
      {"name", "kind", "agents", "issuer", "audiences", "algorithms", "jwks_uri", "jwks",
       "refetch_interval", "keys_max_age", "leeway", "max_lifetime", "max_token_age"},
      {"name", "identities"},
      {"name", "kind", "audience", "url"},
      {"name", "effect", "workloads", "destinations", "max_ttl", "scopes"},
  }};
  return kOrder[section];
}

// The keys of one of a workload's identities.
const std::vector<std::string_view>& IdentityKeyOrder() {
  static const std::vector<std::string_view> kOrder = {"issuer", "claims"};
  return kOrder;
}

// An item's name; "" when it has none (not from a checked configuration).
std::string NameOf(const YAML::Node& item) {
  if (!item.IsMap()) {
    return "";
  }
  const YAML::Node name = item["name"];
  return name && name.IsScalar() ? name.Scalar() : "";
}

// The indexes 0..n-1 stably sorted by less(i, j). YAML::Nodes are never sorted
// themselves: assigning a Node (as sorting does) assigns to the node it refers to, which
// would rewrite the document.
template <typename Less>
std::vector<size_t> StableOrder(size_t n, Less less) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) {
    order[i] = i;
  }
  std::stable_sort(order.begin(), order.end(), less);
  return order;
}

// The entries of a mapping with the keys in `order` first, in that order, then the other
// keys sorted; entries with equal keys keep their order.
std::vector<std::pair<YAML::Node, YAML::Node>> Ordered(const YAML::Node& map,
                                                       const std::vector<std::string_view>& order) {
  std::vector<YAML::Node> keys;
  std::vector<YAML::Node> values;
  for (const auto& entry : map) {
    keys.push_back(entry.first);
    values.push_back(entry.second);
  }
  auto rank = [&order](const YAML::Node& key) {
    auto it = std::find(order.begin(), order.end(), key.Scalar());
    return static_cast<size_t>(it - order.begin());
  };
  std::vector<std::pair<YAML::Node, YAML::Node>> entries;
  for (size_t i : StableOrder(keys.size(), [&](size_t a, size_t b) {
         size_t ra = rank(keys[a]);
         size_t rb = rank(keys[b]);
         if (ra != rb) {
           return ra < rb;
         }
         return ra == order.size() && keys[a].Scalar() < keys[b].Scalar();
       })) {
    entries.emplace_back(keys[i], values[i]);
  }
  return entries;
}

// Words that YAML readers (1.1 or 1.2, yaml-cpp's conversions included) take for a
// boolean or null when written plain.
bool IsSpecialWord(std::string_view value) {
  static const std::array<std::string_view, 10> kWords = {"~",  "null", "true", "false", "yes",
                                                          "no", "on",   "off",  "y",     "n"};
  std::string lower;
  for (char c : value) {
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return std::find(kWords.begin(), kWords.end(), lower) != kWords.end();
}

// A scalar, so that it reads back as the same string. Plain when yaml-cpp finds that
// faithful (it double-quotes "*", "", "a: b", leading or trailing spaces, multi-line
// text, ...); always quoted when it would read as a boolean or null.
void EmitScalar(YAML::Emitter& out, const std::string& value) {
  if (IsSpecialWord(value)) {
    out << YAML::DoubleQuoted;
  } else if (value.find('"') != std::string::npos) {
    out << YAML::SingleQuoted;  // yaml-cpp falls back to double quotes for multi-line text
  }
  out << value;
}

void EmitNode(YAML::Emitter& out, const YAML::Node& node,
              const std::vector<std::string_view>& key_order = {});

void EmitMap(YAML::Emitter& out, const YAML::Node& map, const std::vector<std::string_view>& order,
             bool identities_of_workload = false) {
  out << YAML::BeginMap;
  for (const auto& [key, value] : Ordered(map, order)) {
    out << YAML::Key;
    EmitScalar(out, key.Scalar());
    out << YAML::Value;
    if (identities_of_workload && key.Scalar() == "identities" && value.IsSequence()) {
      out << YAML::BeginSeq;
      for (const auto& identity : value) {
        EmitNode(out, identity, IdentityKeyOrder());
      }
      out << YAML::EndSeq;
    } else {
      EmitNode(out, value);
    }
  }
  out << YAML::EndMap;
}

// Any value inside an item: mappings sorted by key (after `key_order`), lists in order.
void EmitNode(YAML::Emitter& out, const YAML::Node& node,
              const std::vector<std::string_view>& key_order) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      EmitScalar(out, node.Scalar());
      break;
    case YAML::NodeType::Sequence:
      out << YAML::BeginSeq;
      for (const auto& element : node) {
        EmitNode(out, element);
      }
      out << YAML::EndSeq;
      break;
    case YAML::NodeType::Map:
      EmitMap(out, node, key_order);
      break;
    default:
      out << YAML::Null;
      break;
  }
}

void EmitItem(YAML::Emitter& out, size_t section, const YAML::Node& item) {
  if (!item.IsMap()) {
    EmitNode(out, item);
    return;
  }
  EmitMap(out, item, ItemKeyOrder(section), /*identities_of_workload=*/section == kWorkloads);
}

void Configure(YAML::Emitter& out) {
  out.SetIndent(2);
  out.SetMapFormat(YAML::Block);
  out.SetSeqFormat(YAML::Block);
  out.SetStringFormat(YAML::Auto);
  out.SetOutputCharset(YAML::EmitNonAscii);
}

// `items` in canonical order: by name, except the policies.
std::vector<YAML::Node> Sorted(size_t section, const std::vector<YAML::Node>& items) {
  if (section == kPolicies) {
    return items;
  }
  std::vector<YAML::Node> sorted;
  for (size_t i : StableOrder(
           items.size(), [&](size_t a, size_t b) { return NameOf(items[a]) < NameOf(items[b]); })) {
    sorted.push_back(items[i]);
  }
  return sorted;
}

std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    size_t end = text.find('\n');
    if (end == std::string_view::npos) {
      end = text.size();
    }
    lines.emplace_back(text.substr(0, end));
    text.remove_prefix(std::min(text.size(), end + 1));
  }
  return lines;
}

// Line diff by longest common subsequence: " " kept, "-" only in `a`, "+" only in `b`;
// at a tie, removals come first. The common head and tail are matched first; a middle too
// large for the quadratic table (only a whole text that is not access sections can be)
// is shown removed, then added.
std::vector<std::string> LineDiff(const std::vector<std::string>& a,
                                  const std::vector<std::string>& b) {
  size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) {
    ++head;
  }
  size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head &&
         a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) {
    ++tail;
  }
  const size_t a_end = a.size() - tail;
  const size_t b_end = b.size() - tail;
  const size_t rows = a_end - head;
  const size_t columns = b_end - head;
  constexpr size_t kMaxCells = size_t{1} << 22;
  // common[i][j]: length of the longest common subsequence of the middles from i and j.
  std::vector<std::vector<size_t>> common;
  if ((rows + 1) * (columns + 1) <= kMaxCells) {
    common.assign(rows + 1, std::vector<size_t>(columns + 1, 0));
    for (size_t i = rows; i-- > 0;) {
      for (size_t j = columns; j-- > 0;) {
        common[i][j] = a[head + i] == b[head + j] ? common[i + 1][j + 1] + 1
                                                  : std::max(common[i + 1][j], common[i][j + 1]);
      }
    }
  }
  std::vector<std::string> lines;
  for (size_t k = 0; k < head; ++k) {
    lines.push_back(" " + a[k]);
  }
  size_t i = 0;
  size_t j = 0;
  while (i < rows || j < columns) {
    if (common.empty()) {
      if (i < rows) {
        lines.push_back("-" + a[head + i++]);
      } else {
        lines.push_back("+" + b[head + j++]);
      }
    } else if (i < rows && j < columns && a[head + i] == b[head + j]) {
      lines.push_back(" " + a[head + i++]);
      ++j;
    } else if (j == columns || (i < rows && common[i + 1][j] >= common[i][j + 1])) {
      lines.push_back("-" + a[head + i++]);
    } else {
      lines.push_back("+" + b[head + j++]);
    }
  }
  for (size_t k = a_end; k < a.size(); ++k) {
    lines.push_back(" " + a[k]);
  }
  return lines;
}

std::vector<std::string> Prefixed(char prefix, const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const auto& line : lines) {
    out.push_back(prefix + line);
  }
  return out;
}

struct Object {
  std::string name;
  std::vector<std::string> lines;  // its canonical YAML
};

// The objects of a text's access sections, per section in text order; nullopt when the
// text is not access sections (not YAML, another top-level key, an item without a name
// or with the name of another in its section).
std::optional<std::array<std::vector<Object>, 4>> Objects(std::string_view text) {
  std::array<std::vector<Object>, 4> objects;
  std::optional<YAML::Node> loaded;
  try {
    loaded.emplace(YAML::Load(std::string(text)));
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
  const YAML::Node& root = *loaded;
  if (!root || root.IsNull()) {
    return objects;
  }
  if (!root.IsMap()) {
    return std::nullopt;
  }
  std::array<std::set<std::string>, 4> names;
  for (const auto& entry : root) {
    auto section = std::find(kAccessSections.begin(), kAccessSections.end(), entry.first.Scalar());
    if (section == kAccessSections.end() || !entry.second.IsSequence()) {
      return std::nullopt;
    }
    size_t s = static_cast<size_t>(section - kAccessSections.begin());
    for (const auto& item : entry.second) {
      std::string name = NameOf(item);
      if (name.empty() || !names[s].insert(name).second) {
        return std::nullopt;
      }
      YAML::Emitter out;
      Configure(out);
      EmitItem(out, s, item);
      objects[s].push_back({std::move(name), SplitLines(out.c_str())});
    }
  }
  return objects;
}

// The names of `from` that are also in `in`, in the order of `from`.
std::vector<std::string> NamesAlsoIn(const std::vector<Object>& from,
                                     const std::vector<Object>& in) {
  std::set<std::string> other;
  for (const Object& object : in) {
    other.insert(object.name);
  }
  std::vector<std::string> names;
  for (const Object& object : from) {
    if (other.contains(object.name)) {
      names.push_back(object.name);
    }
  }
  return names;
}

}  // namespace

std::string CanonicalYaml(const std::array<std::vector<YAML::Node>, 4>& items) {
  YAML::Emitter out;
  Configure(out);
  bool any = false;
  out << YAML::BeginMap;
  for (size_t s = 0; s < kAccessSections.size(); ++s) {
    if (items[s].empty()) {
      continue;
    }
    any = true;
    out << YAML::Key << std::string(kAccessSections[s]) << YAML::Value << YAML::BeginSeq;
    for (const YAML::Node& item : Sorted(s, items[s])) {
      EmitItem(out, s, item);
    }
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
  if (!any) {
    return "";
  }
  return std::string(out.c_str()) + "\n";
}

std::vector<ConfigChange> DiffAccessConfig(std::string_view before_canonical,
                                           std::string_view after_canonical) {
  std::vector<ConfigChange> changes;
  auto before = Objects(before_canonical);
  auto after = Objects(after_canonical);
  if (!before || !after) {
    if (before_canonical != after_canonical) {
      changes.push_back({ConfigChange::Kind::kChanged, "config",
                         LineDiff(SplitLines(before_canonical), SplitLines(after_canonical))});
    }
    return changes;
  }
  for (size_t s = 0; s < kAccessSections.size(); ++s) {
    const std::string section(kAccessSections[s]);
    if (s == kPolicies) {
      std::vector<std::string> old_order = NamesAlsoIn((*before)[s], (*after)[s]);
      std::vector<std::string> new_order = NamesAlsoIn((*after)[s], (*before)[s]);
      if (old_order != new_order) {
        changes.push_back({ConfigChange::Kind::kChanged, section, LineDiff(old_order, new_order)});
      }
    }
    std::map<std::string, const Object*> old_objects;
    std::map<std::string, const Object*> new_objects;
    for (const Object& object : (*before)[s]) {
      old_objects.emplace(object.name, &object);
    }
    for (const Object& object : (*after)[s]) {
      new_objects.emplace(object.name, &object);
    }
    // Both maps are sorted by name: walk them together.
    auto o = old_objects.begin();
    auto n = new_objects.begin();
    while (o != old_objects.end() || n != new_objects.end()) {
      if (n == new_objects.end() || (o != old_objects.end() && o->first < n->first)) {
        changes.push_back({ConfigChange::Kind::kRemoved, section + "/" + o->first,
                           Prefixed('-', o->second->lines)});
        ++o;
      } else if (o == old_objects.end() || n->first < o->first) {
        changes.push_back({ConfigChange::Kind::kAdded, section + "/" + n->first,
                           Prefixed('+', n->second->lines)});
        ++n;
      } else {
        if (o->second->lines != n->second->lines) {
          changes.push_back({ConfigChange::Kind::kChanged, section + "/" + o->first,
                             LineDiff(o->second->lines, n->second->lines)});
        }
        ++o;
        ++n;
      }
    }
  }
  return changes;
}

std::string FormatConfigDiff(const std::vector<ConfigChange>& changes) {
  if (changes.empty()) {
    return "no changes\n";
  }
  std::string out;
  for (const ConfigChange& change : changes) {
    out += change.kind == ConfigChange::Kind::kAdded     ? "+ "
           : change.kind == ConfigChange::Kind::kRemoved ? "- "
                                                         : "~ ";
    out += change.object + "\n";
    for (const std::string& line : change.lines) {
      out += "  " + line + "\n";
    }
  }
  return out;
}

std::string SummarizeConfigDiff(const std::vector<ConfigChange>& changes) {
  if (changes.empty()) {
    return "no changes";
  }
  std::string out;
  for (const ConfigChange& change : changes) {
    if (!out.empty()) {
      out += " ";
    }
    out += change.kind == ConfigChange::Kind::kAdded     ? "+"
           : change.kind == ConfigChange::Kind::kRemoved ? "-"
                                                         : "~";
    out += change.object;
  }
  return out;
}

}  // namespace signet::server
