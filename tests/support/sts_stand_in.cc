#include "support/sts_stand_in.h"

#include <charconv>
#include <chrono>
#include <map>

#include "common/clock.h"
#include "support/form_fields.h"

namespace signet::testing {
namespace {

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

}  // namespace

StsStandIn::StsStandIn(const std::string& dir) : server_(dir, "sts-stand-in", Routes()) {}

http::Router StsStandIn::Routes() {
  http::Router router;
  router.Add("POST", "/", [this](const http::Request& r) { return Answer(r); });
  return router;
}

std::vector<http::Request> StsStandIn::RequestsFor(const std::string& workload) {
  return requests_.For(workload);
}

http::Response StsStandIn::Answer(const http::Request& request) {
  std::map<std::string, std::string> form = FormFields(request.body);
  std::string workload = WorkloadOfJwt(form["WebIdentityToken"]);
  int n = requests_.Record(workload, request);
  std::string sub = "spiffe://test.signet/workload/" + workload;
  if (workload == "refused-app") {
    return Error(400, "Sender", "InvalidIdentityToken");
  }
  if (workload == "throttled-app") {
    return Error(400, "Sender", "Throttling");
  }
  if (workload == "flaky-app") {
    return Error(503, "Receiver", "ServiceUnavailable");
  }
  if (workload == "short-app") {
    return Credentials(sub, n, std::chrono::seconds(100), true);
  }
  const std::string& duration = form["DurationSeconds"];
  int64_t seconds = 3600;  // STS's default
  std::from_chars(duration.data(), duration.data() + duration.size(), seconds);
  return Credentials(sub, n, std::chrono::seconds(seconds), workload != "malformed-app");
}

}  // namespace signet::testing
