// Router's guard proxy mode (serve --upstream): classify the user turns of an LLM request, then
// answer a blocked prompt ourselves or forward the request byte for byte and relay the upstream's
// answer (SSE as it arrives) with x-haloguard-* headers. docs/INTEGRATIONS.md, "Guard proxy mode".
#include <algorithm>

#include "core/log.h"
#include "server/integrations.h"
#include "server/proxy/block_response.h"
#include "server/routes.h"

namespace haloguard::server {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

const char* RouteName(proxy::ProxyRoute r) {
  switch (r) {
    case proxy::ProxyRoute::kCompletions:
      return "/v1/completions";
    case proxy::ProxyRoute::kResponses:
      return "/v1/responses";
    case proxy::ProxyRoute::kChat:
      break;
  }
  return "/v1/chat/completions";
}

// Request headers passed to the upstream as they came (Authorization is decided separately;
// hop-by-hop, framing, encoding and our own key headers never are).
constexpr const char* kForwardedRequestHeaders[] = {
    "content-type", "accept", "user-agent", "openai-organization", "openai-project", "openai-beta"};

// Upstream response headers relayed to the client (the framing is ours: chunked).
bool RelayedResponseHeader(const std::string& name) {
  // content-encoding: the bytes are relayed as they came (never decoded), so their coding goes too.
  static const char* kNames[] = {"cache-control",       "content-encoding",     "openai-model",
                                 "openai-organization", "openai-processing-ms", "openai-project",
                                 "openai-version",      "retry-after"};
  if (name.rfind("x-ratelimit-", 0) == 0) return true;
  return std::any_of(std::begin(kNames), std::end(kNames),
                     [&](const char* n) { return name == n; });
}

void AddHeaders(HttpResponse& r, const Headers& h) {
  r.headers.insert(r.headers.end(), h.begin(), h.end());
}

}  // namespace

void Router::SetUpstream(proxy::UpstreamPool* pool) {
  upstream_ = pool;
  proxy_metrics_ = std::make_unique<proxy::ProxyMetrics>(*registry_);
}

void Router::Proxy(const std::shared_ptr<Call>& call, proxy::ProxyRoute route) {
  auto prompt = std::make_shared<proxy::ProxyPrompt>();
  const std::string route_name = RouteName(route);
  if (auto e = proxy::ExtractProxyPrompt(call->req.body, route, opts_.proxy.classify_turns,
                                         opts_.limits, prompt.get())) {
    proxy_metrics_->requests.With({route_name, "invalid"}).Inc();
    return Fail(call, *e);  // malformed for the guard: never forwarded
  }
  const ServingState state = state_.load();
  if (state == ServingState::kDraining) {
    RequireReady(call);  // 503 + Connection: close; no new upstream transfers
    return;
  }
  if (prompt->texts.empty()) {
    return Forward(call, "skipped", proxy::VerdictHeaders(nullptr, "skipped"));
  }
  if (state == ServingState::kLoading) {
    return GuardFailed(call, UnavailableError("the guard model is still loading"));
  }
  std::vector<std::string> texts = prompt->texts;
  Status s = Enqueue(call, std::move(texts), false,
                     [this, call, route, prompt](std::vector<StatusOr<guard::GuardResult>> out) {
                       ProxyJudge(call, route, prompt, std::move(out));
                     });
  if (!s.ok()) GuardFailed(call, s);
}

void Router::ProxyJudge(const std::shared_ptr<Call>& call, proxy::ProxyRoute route,
                        std::shared_ptr<proxy::ProxyPrompt> prompt,
                        std::vector<StatusOr<guard::GuardResult>> results) {
  std::vector<guard::GuardResult> ok;
  for (StatusOr<guard::GuardResult>& r : results) {
    if (r.ok()) {
      ok.push_back(std::move(r).value());
    } else if (r.status().code() == StatusCode::kInvalidArgument) {
      proxy_metrics_->requests.With({RouteName(route), "invalid"}).Inc();
      return Fail(call, ApiErrorFromStatus(r.status()));  // e.g. over --max-input-tokens
    } else {
      return GuardFailed(call, r.status());
    }
  }
  CountVerdicts(call, ok);
  if (const guard::GuardResult* blocked = Riskiest(ok, /*blocked_only=*/true)) {
    return Block(call, route, *prompt, *blocked);
  }
  const guard::GuardResult* worst = Riskiest(ok, /*blocked_only=*/false);
  const bool flagged = worst->action == "review" || worst->action == "log";
  Forward(call, flagged ? "flagged" : "allowed", proxy::VerdictHeaders(worst));
}

void Router::Block(const std::shared_ptr<Call>& call, proxy::ProxyRoute route,
                   const proxy::ProxyPrompt& prompt, const guard::GuardResult& blocked) {
  proxy_metrics_->requests.With({RouteName(route), "blocked"}).Inc();
  const proxy::ProxyOptions& o = opts_.proxy;
  const std::string model = prompt.model.empty() ? opts_.served_model_name : prompt.model;
  HttpResponse r = o.block_response == proxy::BlockResponse::kError
                       ? proxy::ContentFilterError(blocked)
                       : proxy::Refusal(route, model, o.refusal_message, prompt.stream);
  AddHeaders(r, proxy::VerdictHeaders(&blocked));
  call->log.error_code = "content_filter";
  Finish(call, std::move(r));
}

void Router::GuardFailed(const std::shared_ptr<Call>& call, const Status& why) {
  const std::string route = call->route;
  HG_LOG(WARNING) << "proxy: guard failure on " << route << ": " << why.message()
                  << (opts_.proxy.fail_open ? "; forwarding unjudged (--fail-open)" : "");
  if (opts_.proxy.fail_open) {
    return Forward(call, "fail_open", proxy::VerdictHeaders(nullptr, "error"));
  }
  proxy_metrics_->requests.With({route, "guard_error"}).Inc();
  HttpResponse r = ErrorResponse(HttpError(
      503, "guard: the prompt could not be judged (" + why.message() + "); nothing was forwarded",
      "guard_unavailable"));
  AddHeaders(r, proxy::VerdictHeaders(nullptr, "error"));
  call->log.error_code = "guard_unavailable";
  Finish(call, std::move(r));
}

std::vector<std::string> Router::UpstreamHeaders(const Call& call) const {
  std::vector<std::string> out;
  for (const char* name : kForwardedRequestHeaders) {
    if (const std::string* v = call.req.Header(name)) out.push_back(std::string(name) + ": " + *v);
  }
  if (call.req.Header("content-type") == nullptr) out.push_back("content-type: application/json");
  out.push_back("x-request-id: " + call.request_id);
  const proxy::ProxyOptions& o = opts_.proxy;
  if (o.auth == proxy::UpstreamAuth::kKey) {
    out.push_back("authorization: Bearer " + o.api_key);
  } else if (o.auth == proxy::UpstreamAuth::kPassthrough) {
    // The client's credential for the upstream; never one of our own guard keys.
    const std::string* auth = call.req.Header("authorization");
    if (auth != nullptr && !keys_->Check(*auth)) out.push_back("authorization: " + *auth);
    const std::string* azure = call.req.Header("api-key");
    if (azure != nullptr) out.push_back("api-key: " + *azure);
  }
  return out;
}

void Router::Forward(const std::shared_ptr<Call>& call, const char* outcome, Headers verdict) {
  proxy_metrics_->requests.With({call->route, outcome}).Inc();
  proxy::UpstreamRequest req;
  req.get = call->req.method == "GET";
  // call->req.target is "/v1/<rest>[?query]"; the base URL already ends in the API root.
  req.url = opts_.proxy.upstream.base_url + call->req.target.substr(3);
  req.headers = UpstreamHeaders(*call);
  req.body = std::move(call->req.body);  // byte for byte what the client sent
  auto body =
      std::make_shared<BodyStream>(static_cast<size_t>(opts_.proxy.upstream.max_buffered_bytes));
  upstream_->Send(std::move(req), body,
                  [this, call, body, verdict](StatusOr<proxy::UpstreamHead> head) {
                    if (!head.ok()) return UpstreamFailed(call, head.status(), verdict);
                    proxy_metrics_->upstream_seconds.With({}).Observe(head->seconds);
                    HttpResponse r = Relay(*head);
                    AddHeaders(r, verdict);
                    r.stream = body;
                    Finish(call, std::move(r));
                  },
                  [this](const Status& end) {
                    if (end.ok()) return;
                    const bool left = end.code() == StatusCode::kCancelled;
                    proxy_metrics_->upstream_errors.With({left ? "client_left" : "cut"}).Inc();
                  });
  // A client that leaves before the upstream's head (a long non-streamed generation) cancels
  // the transfer too: the stream closes, which wakes the pool (after Send set its callback).
  if (call->req.client) call->req.client->OnGone([body] { body->MarkClosed(); });
}

HttpResponse Router::Relay(const proxy::UpstreamHead& head) {
  HttpResponse r;
  r.status = head.status;
  r.content_type.clear();
  for (const auto& [name, value] : head.headers) {
    if (name == "content-type") {
      r.content_type = value;
    } else if (name == "x-request-id") {
      r.headers.emplace_back("x-upstream-request-id", value);
    } else if (RelayedResponseHeader(name)) {
      r.headers.emplace_back(name, value);
    }
  }
  return r;
}

void Router::UpstreamFailed(const std::shared_ptr<Call>& call, const Status& why, Headers verdict) {
  const bool timeout = why.code() == StatusCode::kDeadlineExceeded;
  const bool cancelled = why.code() == StatusCode::kCancelled;
  proxy_metrics_->upstream_errors
      .With({timeout     ? "timeout"
             : cancelled ? "cancelled"
                         : "unavailable"})
      .Inc();
  HG_LOG(WARNING) << "proxy: " << call->route << ": " << why.message();
  ApiError e =
      HttpError(timeout ? 504 : 502, why.message() + " (" + opts_.proxy.upstream.base_url + ")",
                timeout ? "upstream_timeout" : "upstream_unavailable");
  e.type = "server_error";
  HttpResponse r = ErrorResponse(e);
  AddHeaders(r, verdict);
  call->log.error_code = e.code;
  Finish(call, std::move(r));
}

}  // namespace haloguard::server
