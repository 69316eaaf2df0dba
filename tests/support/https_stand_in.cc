#include "support/https_stand_in.h"

#include <gtest/gtest.h>

#include "jose/jwt.h"
#include "support/subprocess.h"

namespace signet::testing {

HttpsStandIn::HttpsStandIn(const std::string& dir, const std::string& name,
                           const std::string& method, const std::string& path, SubjectOf subject_of,
                           Respond respond)
    : cert(dir + "/" + name + ".pem"),
      subject_of_(std::move(subject_of)),
      respond_(std::move(respond)) {
  int code = -1;
  RunCommand(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=" +
          name + " -addext subjectAltName=IP:127.0.0.1 -keyout " + dir + "/" + name + ".key -out " +
          cert + " 2>&1",
      &code);
  EXPECT_EQ(code, 0);
  http::Router router;
  router.Add(method, path, [this](const http::Request& request) { return Answer(request); });
  http::ServerOptions options;
  options.port = 0;
  options.tls = http::TlsOptions{cert, dir + "/" + name + ".key"};
  server_ = std::move(http::Server::Start(options, std::move(router)).value());
  thread_ = std::thread([this] { server_->Run(); });
}

HttpsStandIn::~HttpsStandIn() {
  server_->Stop();
  thread_.join();
}

std::string HttpsStandIn::url() const {
  return "https://127.0.0.1:" + std::to_string(server_->port());
}

std::vector<http::Request> HttpsStandIn::RequestsFor(const std::string& workload) {
  std::lock_guard lock(mu_);
  std::vector<http::Request> matching;
  for (const auto& [sub, request] : requests_) {
    if (sub == "spiffe://test.signet/workload/" + workload) {
      matching.push_back(request);
    }
  }
  return matching;
}

http::Response HttpsStandIn::Answer(const http::Request& request) {
  std::string sub = subject_of_(request);
  int n = 0;
  {
    std::lock_guard lock(mu_);
    requests_.emplace_back(sub, request);
    n = static_cast<int>(requests_.size());
  }
  return respond_(sub, request, n);
}

std::string SubjectOfJwt(std::string_view jwt) {
  auto parsed = jose::ParseJwt(jwt);
  if (!parsed.ok() || !parsed->claims.contains("sub") || !parsed->claims.at("sub").is_string()) {
    return "";
  }
  return std::string(parsed->claims.at("sub").as_string());
}

}  // namespace signet::testing
