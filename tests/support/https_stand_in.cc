#include "support/https_stand_in.h"

#include <gtest/gtest.h>

#include "support/subprocess.h"

namespace signet::testing {

HttpsStandIn::HttpsStandIn(const std::string& dir, const std::string& name, http::Router router)
    : cert_(dir + "/" + name + ".pem") {
  std::string key = dir + "/" + name + ".key";
  int code = -1;
  RunCommand(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
      "-subj /CN=" +
          name + " -addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " + cert_ + " 2>&1",
      &code);
  EXPECT_EQ(code, 0);
  http::ServerOptions options;
  options.port = 0;
  options.tls = http::TlsOptions{cert_, key};
  server_ = std::move(http::Server::Start(options, std::move(router)).value());
  thread_ = std::thread([this] { server_->Run(); });
}

HttpsStandIn::~HttpsStandIn() {
  server_->Stop();
  thread_.join();
}

std::string HttpsStandIn::base_url() const {
  return "https://127.0.0.1:" + std::to_string(server_->port());
}

}  // namespace signet::testing
