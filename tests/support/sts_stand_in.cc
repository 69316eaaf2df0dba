#include "support/sts_stand_in.h"

#include <charconv>
#include <chrono>

#include "common/clock.h"
#include "http/form.h"

namespace signet::testing {
namespace {

// The form field `name` of a request ("" when it has none or the body is no form).
std::string FormField(const http::Request& request, std::string_view name) {
  auto fields = http::ParseForm(request.body);
  if (!fields.ok()) {
    return "";
  }
  for (const auto& [key, value] : *fields) {
    if (key == name) {
      return value;
    }
  }
  return "";
}

std::string TokenSubject(const http::Request& request) {
  return SubjectOfJwt(FormField(request, "WebIdentityToken"));
}

http::Response Xml(int status, std::string body) {
  http::Response response;
  response.status = status;
  response.content_type = "text/xml";
  response.body = std::move(body);
  return response;
}

// STS's ErrorResponse. The Message is what Signet must never repeat.
http::Response Error(int status, std::string_view type, std::string_view code) {
  return Xml(status,
             "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
             "  <Error>\n"
             "    <Type>" +
                 std::string(type) + "</Type>\n    <Code>" + std::string(code) +
                 "</Code>\n"
                 "    <Message>standin-private-detail</Message>\n"
                 "  </Error>\n"
                 "  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n"
                 "</ErrorResponse>\n");
}

http::Response Credentials(const std::string& sub, int n, std::chrono::seconds lifetime,
                           bool with_session_token) {
  std::string id = std::to_string(n);
  return Xml(
      200,
      "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
      "  <AssumeRoleWithWebIdentityResult>\n"
      "    <SubjectFromWebIdentityToken>" +
          sub +
          "</SubjectFromWebIdentityToken>\n"
          "    <Audience>sts.amazonaws.com</Audience>\n"
          "    <Credentials>\n" +
          (with_session_token ? "      <SessionToken>standin-session-" + id + "</SessionToken>\n"
                              : "") +
          "      <SecretAccessKey>standin-secret-" + id +
          "</SecretAccessKey>\n"
          "      <Expiration>" +
          FormatUtcSeconds(Clock::Real().Now() + lifetime) +
          "</Expiration>\n"
          "      <AccessKeyId>ASIASTANDIN" +
          id +
          "</AccessKeyId>\n"
          "    </Credentials>\n"
          "  </AssumeRoleWithWebIdentityResult>\n"
          "  <ResponseMetadata><RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>"
          "</ResponseMetadata>\n"
          "</AssumeRoleWithWebIdentityResponse>\n");
}

http::Response StsAnswer(const std::string& sub, const http::Request& request, int n) {
  if (sub.ends_with("/refused-app")) {
    return Error(400, "Sender", "InvalidIdentityToken");
  }
  if (sub.ends_with("/throttled-app")) {
    return Error(400, "Sender", "Throttling");
  }
  if (sub.ends_with("/flaky-app")) {
    return Error(503, "Receiver", "ServiceUnavailable");
  }
  if (sub.ends_with("/short-app")) {
    return Credentials(sub, n, std::chrono::seconds(100), true);
  }
  std::string duration = FormField(request, "DurationSeconds");
  int64_t seconds = 3600;  // STS's default
  std::from_chars(duration.data(), duration.data() + duration.size(), seconds);
  return Credentials(sub, n, std::chrono::seconds(seconds), !sub.ends_with("/malformed-app"));
}

}  // namespace

StsStandIn::StsStandIn(const std::string& dir)
    : HttpsStandIn(dir, "sts-stand-in", "POST", "/", TokenSubject, StsAnswer) {}

}  // namespace signet::testing
