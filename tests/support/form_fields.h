// The fields of an application/x-www-form-urlencoded body, for tests that check what a
// token endpoint was sent.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>

#include "http/form.h"

namespace signet::testing {

// `body`'s fields by name; a name sent twice or a body that is no form fails the test (a
// token request names each field once).
inline std::map<std::string, std::string> FormFields(std::string_view body) {
  auto fields = http::ParseForm(body);
  std::map<std::string, std::string> form;
  if (!fields.ok()) {
    ADD_FAILURE() << "not a form: " << fields.status().message();
    return form;
  }
  for (auto& [name, value] : *fields) {
    EXPECT_TRUE(form.emplace(name, value).second) << "repeated " << name;
  }
  return form;
}

}  // namespace signet::testing
