// An HTTPS server on a loopback port for a destination's stand-in: a certificate made for
// the test (signetd trusts it through a destination's ca_file) and the stand-in's routes.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "http/server.h"

namespace signet::testing {

class HttpsStandIn {
 public:
  // Makes <dir>/<name>.pem and its key, for 127.0.0.1, and serves `router` until
  // destroyed.
  HttpsStandIn(const std::string& dir, const std::string& name, http::Router router);
  ~HttpsStandIn();
  HttpsStandIn(const HttpsStandIn&) = delete;
  HttpsStandIn& operator=(const HttpsStandIn&) = delete;

  const std::string& cert() const { return cert_; }
  std::string base_url() const;

 private:
  const std::string cert_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
};

}  // namespace signet::testing
