#include "server/credential_delivery.h"

#include <boost/json/serialize.hpp>

namespace signet::server {
namespace {

http::Response Answer(const Result<credentials::Credential>& credential,
                      const CredentialDelivery::AnswerBody& body, std::string_view request_id,
                      SystemTime now) {
  http::Response response;
  if (!credential.ok() && credential.status().code() == ErrorCode::kServerError) {
    // Signet's own fault or its configuration's (a vault secret missing, a destination
    // answering nonsense): nothing the workload can act on, and the detail names
    // Signet's internals. The audit record keeps it.
    response = http::Response::Error(
        Status(ErrorCode::kServerError, credential.status().reason(),
               "Signet could not issue this credential; an administrator can find why in "
               "audit record " +
                   std::string(request_id)));
  } else if (!credential.ok()) {
    response = http::Response::Error(credential.status());
  } else {
    auto expires_in = std::chrono::floor<std::chrono::seconds>(credential->expires_at - now);
    response = http::Response::Json(200, boost::json::serialize(body(*credential, expires_in)));
  }
  AddNoStore(&response);
  return response;
}

}  // namespace

void AddNoStore(http::Response* response) {
  response->headers.emplace_back("Cache-Control", "no-store");
  response->headers.emplace_back("Pragma", "no-cache");
}

std::shared_ptr<CredentialDelivery> CredentialDelivery::Create(audit::AuditLog& audit,
                                                               const Clock& clock,
                                                               WorkerPool& workers,
                                                               MetricsRegistry* metrics) {
  return std::shared_ptr<CredentialDelivery>(
      new CredentialDelivery(audit, clock, workers, metrics));
}

CredentialDelivery::CredentialDelivery(audit::AuditLog& audit, const Clock& clock,
                                       WorkerPool& workers, MetricsRegistry* metrics)
    : audit_(audit),
      clock_(clock),
      workers_(workers),
      metrics_(metrics),
      duration_(metrics == nullptr
                    ? nullptr
                    : &metrics->GetHistogram(
                          "signet_exchange_duration_seconds",
                          "Token exchanges, from the request to the committed answer.")) {}

void CredentialDelivery::Deliver(std::shared_ptr<const Broker> broker,
                                 Result<Broker::Authorization> authorized, audit::Event event,
                                 AnswerBody body, http::Responder respond,
                                 MonotonicTime started) const {
  if (!authorized.ok()) {
    RecordRefusal(authorized.status(), &event);
    Finish(authorized.status(), std::move(event), std::move(body), std::move(respond), started);
    return;
  }
  if (!authorized->provider->CallsOut()) {
    Result<credentials::Credential> credential = Broker::Issue(*authorized, &event);
    Finish(std::move(credential), std::move(event), std::move(body), std::move(respond), started);
    return;
  }
  // The destination's token endpoint may take seconds: never on the I/O thread. The task
  // holds the broker, which owns the provider.
  struct OutboundTask {
    std::shared_ptr<const Broker> broker;
    Broker::Authorization authorization;
    audit::Event event;
    AnswerBody body;
    http::Responder respond;
    MonotonicTime started;
  };
  auto task = std::make_shared<OutboundTask>(
      OutboundTask{std::move(broker), std::move(authorized).value(), std::move(event),
                   std::move(body), std::move(respond), started});
  if (!workers_.TryPost([self = shared_from_this(), task] {
        Result<credentials::Credential> credential =
            Broker::Issue(task->authorization, &task->event);
        self->Finish(std::move(credential), std::move(task->event), std::move(task->body),
                     std::move(task->respond), task->started);
      })) {
    Status busy(ErrorCode::kTemporarilyUnavailable, "destinations_busy",
                "too many requests are waiting for destinations' token endpoints; retry "
                "shortly");
    RecordRefusal(busy, &task->event);
    Finish(busy, std::move(task->event), std::move(task->body), std::move(task->respond), started);
  }
}

void CredentialDelivery::Finish(Result<credentials::Credential> credential, audit::Event event,
                                AnswerBody body, http::Responder respond,
                                MonotonicTime started) const {
  std::string request_id = event.request_id;
  // Issuing takes time (a worker's queue, the destination's answer): a credential whose
  // granted lifetime ran out meanwhile is not handed out.
  if (credential.ok() && credential->expires_at - clock_.Now() < std::chrono::seconds(1)) {
    credential = Status(ErrorCode::kInvalidRequest, "lifetime_exhausted",
                        "the subject token's lifetime ran out while the credential was "
                        "issued; present a fresh one");
    RecordRefusal(credential.status(), &event);
  }
  if (metrics_ != nullptr) {
    // The reason is a stable identifier from a fixed vocabulary, never request text.
    metrics_
        ->GetCounter(
            "signet_exchanges_total", "Token exchanges by decision and reason.",
            {{"decision", event.decision}, {"error", event.error}, {"reason", event.reason}})
        .Increment();
  }
  audit_.Append(std::move(event), [self = shared_from_this(), respond = std::move(respond),
                                   credential = std::move(credential), body = std::move(body),
                                   request_id, started](const Status& committed) {
    SystemTime now = self->clock_.Now();  // expires_in counts from the answer
    http::Response response =
        committed.ok() ? Answer(credential, body, request_id, now)
                       : Answer(Status(ErrorCode::kTemporarilyUnavailable, "audit_unavailable",
                                       "the audit trail cannot record this request now; retry "
                                       "shortly"),
                                body, request_id, now);
    response.headers.emplace_back("X-Request-Id", request_id);
    respond(std::move(response));
    if (self->duration_ != nullptr) {
      self->duration_->Observe(
          std::chrono::duration<double>(self->clock_.MonotonicNow() - started).count());
    }
  });
}

}  // namespace signet::server
