#include "server/json_log.h"

#include <gtest/gtest.h>

#include "common/json.h"
#include "support/status_matchers.h"

namespace signet::server {
namespace {

using testing::IsOk;

TEST(JsonLogFormatterTest, OneEscapedJsonObjectPerLine) {
  JsonLogFormatter formatter;
  spdlog::details::log_msg msg("signetd", spdlog::level::warn,
                               "issuer \"k8s\" down\n{\"level\":\"forged\"}");
  msg.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'123));
  spdlog::memory_buf_t out;
  formatter.format(msg, out);
  std::string line(out.data(), out.size());
  ASSERT_EQ(line.back(), '\n');
  line.pop_back();
  EXPECT_EQ(line.find('\n'), std::string::npos) << "a message newline split the line";
  auto parsed = ParseJsonObject(line);
  ASSERT_THAT(parsed, IsOk()) << line;
  EXPECT_EQ(parsed->at("time").as_string(), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(parsed->at("level").as_string(), "warning");
  EXPECT_EQ(parsed->at("logger").as_string(), "signetd");
  EXPECT_EQ(parsed->at("msg").as_string(), "issuer \"k8s\" down\n{\"level\":\"forged\"}");
  EXPECT_EQ(parsed->size(), 4u);
}

}  // namespace
}  // namespace signet::server
