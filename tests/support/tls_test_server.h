// An HTTPS server for stand-ins of destinations: a loopback port, a certificate made for
// the test (its own CA: signetd trusts it through a destination's ca_file, curl through
// --cacert), and the routes the stand-in answers, served on a thread of its own until
// the object dies.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "http/server.h"

namespace signet::testing {

class TlsTestServer {
 public:
  // Makes `dir`/<name>.pem and .key, and starts serving `router`.
  TlsTestServer(const std::string& dir, const std::string& name, http::Router router);
  ~TlsTestServer();

  // The certificate, for ca_file or curl --cacert.
  const std::string cert;
  // "https://127.0.0.1:<port>".
  std::string base_url() const;

 private:
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
};

}  // namespace signet::testing
