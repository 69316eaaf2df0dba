#include "support/github_stand_in.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "common/clock.h"
#include "common/json.h"

namespace signet::testing {
namespace {

http::Response GitHubError(int status, const std::string& message) {
  boost::json::object body{
      {"message", message + " (" + GitHubStandIn::kEchoedText + ")"},
      {"documentation_url",
       "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"},
      {"status", std::to_string(status)}};
  return http::Response::Json(status, boost::json::serialize(body));
}

}  // namespace

GitHubStandIn::GitHubStandIn(const std::string& dir) {
  http::Router router;
  router.Add("POST", "/app/installations/{installation_id}/access_tokens",
             [this](const http::Request& request) { return Answer(request); });
  server_ = std::make_unique<HttpsStandIn>(dir, "github-stand-in", std::move(router));
}

std::vector<http::Request> GitHubStandIn::RequestsFor(int installation_id) {
  std::lock_guard lock(mu_);
  return requests_[installation_id];
}

http::Response GitHubStandIn::Answer(const http::Request& request) {
  int installation = std::atoi(std::string(request.PathParam("installation_id")).c_str());
  int n = 0;
  {
    std::lock_guard lock(mu_);
    requests_[installation].push_back(request);
    n = ++tokens_;
  }
  switch (installation) {
    case 401:
      return GitHubError(401, "A JSON web token could not be decoded");
    case kForbidden:
      return GitHubError(403, "Resource not accessible by integration");
    case 404:
      return GitHubError(404, "Not Found");
    case 422:
      return GitHubError(422, "There is at least one repository that does not exist");
    case 500:
      return GitHubError(500, "Server Error");
    case kRateLimited: {
      http::Response limited = GitHubError(403, "API rate limit exceeded");
      limited.headers = {{"x-ratelimit-limit", "5000"},
                         {"x-ratelimit-remaining", "0"},
                         {"x-ratelimit-reset", "1900000000"}};
      return limited;
    }
    default:
      break;
  }
  // GitHub echoes the narrowing it applied: the permissions and repositories asked for,
  // or everything the installation has.
  boost::json::object asked;
  if (auto body = ParseJsonObject(request.body); body.ok()) {
    asked = *body;
  }
  boost::json::object answer{
      {"token", "ghs_standin_" + std::to_string(n) + "_" + std::string(64, 'Q')},
      {"permissions",
       asked.contains("permissions")
           ? asked.at("permissions")
           : boost::json::value(boost::json::object{{"contents", "read"}, {"metadata", "read"}})},
      {"repository_selection", asked.contains("repositories") ? "selected" : "all"},
  };
  boost::json::array repositories;
  if (const boost::json::value* names = asked.if_contains("repositories");
      names != nullptr && names->is_array()) {
    int id = 1;
    for (const boost::json::value& name : names->as_array()) {
      repositories.push_back(boost::json::object{{"id", id++}, {"name", name}});
    }
  }
  answer["repositories"] = std::move(repositories);
  if (installation != kMalformed) {
    std::chrono::seconds lifetime(installation == kShortLived ? 90 : 3600);
    answer["expires_at"] = FormatUtcSeconds(Clock::Real().Now() + lifetime);
  }
  return http::Response::Json(201, boost::json::serialize(answer));
}

}  // namespace signet::testing
