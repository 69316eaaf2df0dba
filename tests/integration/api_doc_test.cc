// docs/api.md's OpenAPI description against the routes signetd really serves
// (`signetd --print-routes`): a route missing from the document, or a documented one the
// server does not have, fails the build.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "support/signet_processes.h"
#include "support/temp_dir.h"

namespace signet {
namespace {

using Routes = std::set<std::pair<std::string, std::string>>;

// The ```yaml block of docs/api.md.
std::string OpenApiBlock() {
  std::ifstream in(std::string(SIGNET_SOURCE_DIR) + "/docs/api.md");
  std::stringstream text;
  text << in.rdbuf();
  std::string doc = text.str();
  size_t start = doc.find("```yaml\nopenapi:");
  EXPECT_NE(start, std::string::npos) << "docs/api.md has no ```yaml openapi block";
  if (start == std::string::npos) {
    return "";
  }
  start += std::string("```yaml\n").size();
  size_t end = doc.find("\n```", start);
  return doc.substr(start, end - start);
}

Routes DocumentedRoutes() {
  Routes routes;
  YAML::Node api = YAML::Load(OpenApiBlock());
  EXPECT_EQ(api["openapi"].as<std::string>().substr(0, 2), "3.");
  for (const auto& path : api["paths"]) {
    for (const auto& operation : path.second) {
      std::string method = operation.first.as<std::string>();
      if (method == "parameters") {
        continue;
      }
      for (char& c : method) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      routes.emplace(method, path.first.as<std::string>());
    }
  }
  return routes;
}

Routes ServedRoutes() {
  testing::TempDir dir;
  std::string config = dir.path() + "/signetd.yaml";
  std::ofstream(config)
      << "server:\n  issuer: http://127.0.0.1:1\n  data_dir: " << dir.path()
      << "/data\nissuers:\n  - name: dev\n    issuer: https://idp.test\n"
         "    audiences: [signet]\n    jwks: '{\"keys\":[{\"kty\":\"EC\","
         "\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
         "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}'\n";
  int code = -1;
  std::string out = testing::RunCommand(
      "timeout 60 " + std::string(SIGNETD_PATH) + " --config " + config + " --print-routes", &code);
  EXPECT_EQ(code, 0) << out;
  Routes routes;
  std::istringstream lines(out);
  for (std::string method, path; lines >> method >> path;) {
    routes.emplace(method, path);
  }
  return routes;
}

TEST(ApiDocTest, OpenApiPathsAreExactlyTheServedRoutes) {
  Routes documented = DocumentedRoutes();
  Routes served = ServedRoutes();
  ASSERT_FALSE(served.empty());
  for (const auto& [method, path] : served) {
    EXPECT_TRUE(documented.contains({method, path}))
        << method << " " << path << " is served but not in docs/api.md";
  }
  for (const auto& [method, path] : documented) {
    EXPECT_TRUE(served.contains({method, path}))
        << method << " " << path << " is in docs/api.md but not served";
  }
}

}  // namespace
}  // namespace signet
