// signetd's log lines as JSON objects, one per line (`signetd --log-format json`), for
// log pipelines that parse rather than grep:
//   {"time":"2026-11-29T05:00:00.123Z","level":"info","logger":"signetd","msg":"..."}
// Messages are escaped as JSON strings, so a quote or a newline in a message cannot
// break a line or forge a field.
#pragma once

#include <spdlog/formatter.h>

#include <memory>

namespace signet::server {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace signet::server
