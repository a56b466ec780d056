// RedisClient over hiredis 0.14 (Debian 12): redisConnectWithTimeout + redisSetTimeout, one
// redisCommandArgv per command, replies deep-copied and freed at once.
#include "monitor/redis_client.h"

#include <hiredis/hiredis.h>

#include <charconv>

namespace haloguard::monitor {
namespace {

constexpr std::string_view kScheme = "redis://";

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

RedisReply Copy(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Copy(r->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

bool ParsePort(std::string_view s, int* out) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && *out >= 1 && *out <= 65535;
}

Status BadUrl(std::string_view shown, const std::string& what) {
  return InvalidArgumentError("--queue: '" + std::string(shown) + "': " + what +
                              "; expected redis://[:PASSWORD@]HOST[:PORT][/DB]");
}

}  // namespace

StatusOr<RedisAddress> ParseRedisUrl(std::string_view url) {
  if (url.substr(0, kScheme.size()) != kScheme) return BadUrl(url, "unknown scheme");
  std::string_view rest = url.substr(kScheme.size());
  RedisAddress a;
  std::string shown(kScheme);
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view auth = rest.substr(0, at);
    const size_t colon = auth.find(':');
    a.password = std::string(colon == std::string_view::npos ? auth : auth.substr(colon + 1));
    rest = rest.substr(at + 1);
    shown += "***@";
  }
  shown += rest;
  std::string_view hostport = rest.substr(0, rest.find('/'));
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    const std::string_view db = rest.substr(slash + 1);
    const auto [p, ec] = std::from_chars(db.data(), db.data() + db.size(), a.db);
    if (!db.empty() && (ec != std::errc() || p != db.data() + db.size() || a.db < 0)) {
      return BadUrl(shown, "database '" + std::string(db) + "' is not a number >= 0");
    }
  }
  std::string_view port;
  if (!hostport.empty() && hostport[0] == '[') {
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) return BadUrl(shown, "unclosed '[' in the host");
    a.host = std::string(hostport.substr(1, close - 1));
    if (close + 1 < hostport.size()) {
      if (hostport[close + 1] != ':') return BadUrl(shown, "junk after ']'");
      port = hostport.substr(close + 2);
    }
  } else {
    const size_t colon = hostport.find(':');
    a.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) port = hostport.substr(colon + 1);
  }
  if (a.host.empty()) return BadUrl(shown, "no host");
  if (!port.empty() && !ParsePort(port, &a.port)) {
    return BadUrl(shown, "port '" + std::string(port) + "' is not in 1..65535");
  }
  return a;
}

std::string RedisAddressName(const RedisAddress& a) {
  return a.host + ":" + std::to_string(a.port) + "/" + std::to_string(a.db);
}

bool IsRedisError(const Status& s, std::string_view prefix) {
  return s.code() == StatusCode::kFailedPrecondition &&
         s.message().find(": " + std::string(prefix)) != std::string::npos;
}

struct RedisClient::Impl {
  RedisAddress address;
  std::chrono::milliseconds connect_timeout, command_timeout;
  redisContext* ctx = nullptr;
  bool used = false;  // the current connection answered at least once

  ~Impl() { Drop(); }
  void Drop() {
    if (ctx != nullptr) redisFree(ctx);
    ctx = nullptr;
    used = false;
  }
  Status Unavailable(const std::string& what) const {
    return UnavailableError("redis " + RedisAddressName(address) + ": " + what +
                            "; expected a reachable Redis server (hint: check --queue)");
  }
  Status Connect();
  StatusOr<RedisReply> Send(const std::vector<std::string>& args);
};

Status RedisClient::Impl::Connect() {
  ctx = redisConnectWithTimeout(address.host.c_str(), address.port, ToTimeval(connect_timeout));
  if (ctx == nullptr || ctx->err != 0) {
    const std::string why = ctx != nullptr ? ctx->errstr : "out of memory";
    Drop();
    return Unavailable("cannot connect: " + why);
  }
  redisSetTimeout(ctx, ToTimeval(command_timeout));
  if (!address.password.empty()) HG_RETURN_IF_ERROR(Send({"AUTH", address.password}).status());
  if (address.db != 0) HG_RETURN_IF_ERROR(Send({"SELECT", std::to_string(address.db)}).status());
  return OkStatus();
}

StatusOr<RedisReply> RedisClient::Impl::Send(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(ctx, static_cast<int>(args.size()), argv.data(), lens.data()));
  if (r == nullptr) {
    const std::string why = ctx->errstr;
    Drop();
    return Unavailable(args[0] + " failed: " + why);
  }
  used = true;
  if (r->type == REDIS_REPLY_ERROR) {
    std::string text(r->str, r->len);
    freeReplyObject(r);
    return FailedPreconditionError("redis " + args[0] + ": " + text);
  }
  RedisReply out = Copy(r);
  freeReplyObject(r);
  return out;
}

RedisClient::RedisClient(RedisAddress address, std::chrono::milliseconds connect_timeout,
                         std::chrono::milliseconds command_timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->address = std::move(address);
  impl_->connect_timeout = connect_timeout;
  impl_->command_timeout = command_timeout;
}

RedisClient::~RedisClient() = default;

bool RedisClient::connected() const { return impl_->ctx != nullptr; }

StatusOr<RedisReply> RedisClient::Command(const std::vector<std::string>& args) {
  HG_CHECK(!args.empty());
  for (int attempt = 0;; ++attempt) {
    const bool fresh = impl_->ctx == nullptr;
    if (fresh) HG_RETURN_IF_ERROR(impl_->Connect());
    const bool was_used = impl_->used;
    StatusOr<RedisReply> r = impl_->Send(args);
    const bool stale = !fresh && was_used && r.status().code() == StatusCode::kUnavailable;
    if (!stale || attempt > 0) return r;
  }
}

}  // namespace haloguard::monitor
