// An HTTPS server on a loopback port for a destination's stand-in: a certificate made for
// the test (signetd trusts it through a destination's ca_file) and the stand-in's routes.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "http/server.h"

namespace signet::testing {

struct TestCertificate {
  std::string cert;  // PEM, self-signed, for IP 127.0.0.1: also the CA file to trust it
  std::string key;   // PEM
};
// Makes <dir>/<name>.pem and <dir>/<name>.key (a test failure when openssl fails).
TestCertificate MakeTestCertificate(const std::string& dir, const std::string& name);

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

// The requests a stand-in received, each under the key of whom it is for (a workload, a
// client id), for tests to check. Safe to use from the server's threads.
class RequestLog {
 public:
  // Records `request` under `key`; returns how many requests there are now (from 1).
  int Record(const std::string& key, const http::Request& request);
  // The requests recorded under `key`, in order.
  std::vector<http::Request> For(const std::string& key);

 private:
  std::mutex mu_;
  std::vector<std::pair<std::string, http::Request>> requests_;  // (key, request)
};

// The workload a JWT's `sub` names (spiffe://test.signet/workload/<name>), read without
// verifying it: whom a stand-in's request is for. "" when it names none.
std::string WorkloadOfJwt(std::string_view jwt);

}  // namespace signet::testing
