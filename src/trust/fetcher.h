// Fetcher: the one way trust/ reaches the network, injected so that key fetching and
// rotation are tested without a network or a sleep.
#pragma once

#include <string>

#include "common/status.h"

namespace signet::trust {

class Fetcher {
 public:
  virtual ~Fetcher() = default;
  // The body of a 200 answer to GET `url`; any other outcome is an error Status.
  // Called concurrently from several threads.
  virtual Result<std::string> Get(const std::string& url) = 0;
};

}  // namespace signet::trust
