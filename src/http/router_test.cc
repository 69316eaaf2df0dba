#include <gtest/gtest.h>

#include "http/server.h"

namespace signet::http {
namespace {

Router TestRouter() {
  Router router;
  router.Add("GET", "/a",
             [](const Request& r) { return Response::Json(200, "\"" + r.query + "\""); });
  router.Add("POST", "/a", [](const Request&) { return Response::Json(201, "{}"); });
  return router;
}

// The answer of a router whose handlers all answer at once.
Response Answer(const Router& router, const Request& request) {
  Response answer;
  bool answered = false;
  router.Dispatch(request, [&](Response r) {
    answer = std::move(r);
    answered = true;
  });
  EXPECT_TRUE(answered);
  return answer;
}

TEST(RouterTest, DispatchesByMethodAndPath) {
  Request get;
  get.method = "GET";
  get.path = "/a";
  get.query = "x=1";
  EXPECT_EQ(Answer(TestRouter(), get).body, "\"x=1\"");
  Request post = get;
  post.method = "POST";
  EXPECT_EQ(Answer(TestRouter(), post).status, 201);
}

TEST(RouterTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  Request r;
  r.method = "GET";
  r.path = "/nope";
  EXPECT_EQ(Answer(TestRouter(), r).status, 404);
  r.path = "/a";
  r.method = "DELETE";
  Response response = Answer(TestRouter(), r);
  EXPECT_EQ(response.status, 405);
  ASSERT_EQ(response.headers.size(), 2u);
  EXPECT_EQ(response.headers[1].first, "Allow");
  EXPECT_EQ(response.headers[1].second, "GET, POST");
}

TEST(RouterTest, AsyncHandlersAnswerWhenTheyAreReady) {
  Router router;
  Responder saved;
  router.AddAsync("POST", "/later",
                  [&saved](const Request&, Responder respond) { saved = std::move(respond); });
  Request r;
  r.method = "POST";
  r.path = "/later";
  std::optional<Response> answer;
  router.Dispatch(r, [&](Response response) { answer = std::move(response); });
  EXPECT_FALSE(answer.has_value());
  saved(Response::Json(202, "{}"));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 202);
  EXPECT_EQ(router.Routes().front(), std::make_pair(std::string("POST"), std::string("/later")));
}

TEST(RouterTest, BraceSegmentsMatchOneSegmentAndBecomePathParams) {
  Router router;
  router.Add("POST", "/v1/workloads/{name}/suspend", [](const Request& r) {
    return Response::Json(200, std::string(r.PathParam("name")));
  });
  router.Add("DELETE", "/v1/tokens/{id}", [](const Request& r) {
    return Response::Json(204, std::string(r.PathParam("id")) + std::string(r.PathParam("x")));
  });
  Request r;
  r.method = "POST";
  r.path = "/v1/workloads/billing-api/suspend";
  Response ok = Answer(router, r);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "billing-api");
  for (const char* miss :
       {"/v1/workloads//suspend", "/v1/workloads/a/b/suspend", "/v1/workloads/a/suspend/",
        "/v1/workloads/a", "/v1/workloads/a/resume"}) {
    r.path = miss;
    EXPECT_EQ(Answer(router, r).status, 404) << miss;
  }
  r.method = "DELETE";
  r.path = "/v1/tokens/t-1";
  EXPECT_EQ(Answer(router, r).body, "t-1");  // an unknown parameter name reads as ""
  r.method = "GET";
  EXPECT_EQ(Answer(router, r).status, 405);
}

TEST(RouterTest, CountsAnswersByRoutePatternAndStatus) {
  MetricsRegistry metrics;
  Router router;
  router.Add("POST", "/v1/workloads/{name}/suspend",
             [](const Request&) { return Response::Json(200, "{}"); });
  router.SetMetrics(&metrics);
  Request r;
  r.method = "POST";
  r.path = "/v1/workloads/a/suspend";
  Answer(router, r);
  r.path = "/v1/workloads/b/suspend";
  Answer(router, r);
  r.method = "GET";
  Answer(router, r);
  r.method = "X-MADE-UP-METHOD";
  Answer(router, r);
  r.path = "/secret-looking/path";
  Answer(router, r);
  std::string text = metrics.RenderPrometheus();
  EXPECT_NE(text.find("signet_http_requests_total{method=\"POST\",route=\"/v1/workloads/{name}/"
                      "suspend\",status=\"200\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("{method=\"other\",route=\"/v1/workloads/{name}/suspend\",status=\"405\"} 2"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("MADE-UP"), std::string::npos) << "a method no route serves became a label";
  EXPECT_NE(text.find("{method=\"other\",route=\"unmatched\",status=\"404\"} 1"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("secret-looking"), std::string::npos) << "a request path became a label";
}

TEST(ResponseTest, ErrorsCarryOAuthCodeStatusAndNoStore) {
  Response r = Response::Error(Status(ErrorCode::kInvalidToken, "expired", "token expired"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, R"({"error":"invalid_token","error_description":"token expired"})");
  EXPECT_EQ(r.headers.at(0).second, "no-store");
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInvalidRequest), 400);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kAccessDenied), 403);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kTemporarilyUnavailable), 503);
}

TEST(ResponseTest, ErrorDescriptionsStayWithinRfc6749Characters) {
  Response r = Response::Error(
      Status(ErrorCode::kInvalidTarget, "x", "no destination is named \"a\\b\"\n\xc3\xa9"));
  EXPECT_EQ(r.body,
            R"({"error":"invalid_target","error_description":"no destination is named 'a?b'???"})");
}

TEST(RequestTest, HeaderLookupIsCaseInsensitive) {
  Request r;
  r.headers = {{"Content-Type", "application/json"}};
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_FALSE(r.Header("authorization").has_value());
}

}  // namespace
}  // namespace signet::http
