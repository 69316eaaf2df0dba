#include "server/json_log.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>

#include "common/clock.h"

namespace signet::server {

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  auto time = std::chrono::time_point_cast<SystemTime::duration>(msg.time);
  std::string stamp = FormatUtcSeconds(time);  // "...:SSZ"
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                    time - std::chrono::floor<std::chrono::seconds>(time))
                    .count();
  char fraction[8];
  std::snprintf(fraction, sizeof(fraction), ".%03d", static_cast<int>(millis));
  stamp.insert(stamp.size() - 1, fraction);
  auto level = spdlog::level::to_string_view(msg.level);
  std::string line = boost::json::serialize(boost::json::object{
      {"time", stamp},
      {"level", std::string_view(level.data(), level.size())},
      {"logger", std::string_view(msg.logger_name.data(), msg.logger_name.size())},
      {"msg", std::string_view(msg.payload.data(), msg.payload.size())},
  });
  line.push_back('\n');
  dest.append(line.data(), line.data() + line.size());
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

}  // namespace signet::server
