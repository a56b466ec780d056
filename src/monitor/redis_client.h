// RedisClient: one blocking connection to Redis through hiredis (the only file that includes
// <hiredis/hiredis.h> is redis_client.cc), with binary-safe commands, timeouts, one transparent
// reconnect, and replies copied into our own RedisReply tree.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace haloguard::monitor {

struct RedisAddress {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string password;  // "" = no AUTH
};

// Parses "redis://[[user]:password@]HOST[:PORT][/DB]" (HOST may be [IPv6]). Errors
// (INVALID_ARGUMENT) quote the URL without its password and say what was expected.
StatusOr<RedisAddress> ParseRedisUrl(std::string_view url);

// "HOST:PORT/DB" for logs (never the password).
std::string RedisAddressName(const RedisAddress& a);

struct RedisReply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus
  int64_t integer = 0;
  std::vector<RedisReply> elements;  // kArray

  bool is_nil() const { return type == Type::kNil; }
  bool is_array() const { return type == Type::kArray; }
};

class RedisClient {
 public:
  // Does not connect yet; the first Command() does.
  RedisClient(RedisAddress address, std::chrono::milliseconds connect_timeout,
              std::chrono::milliseconds command_timeout);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs one command (each argument sent as a binary-safe bulk string) and returns its reply.
  // A connection that fails is dropped; if it had worked before (Redis restarted, idle
  // connection closed) the command is sent once more on a fresh connection, so callers must
  // only send commands that are safe to repeat. Errors: UNAVAILABLE when Redis can't be reached
  // or times out (names host:port), FAILED_PRECONDITION for an error reply ("redis XADD: ERR
  // ..."; the reply's text is kept so callers can test for BUSYGROUP, NOGROUP, ...).
  // Not thread-safe: one client per thread.
  StatusOr<RedisReply> Command(const std::vector<std::string>& args);

  bool connected() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True when `s` is an error reply whose text starts with `prefix` ("BUSYGROUP", "NOGROUP").
bool IsRedisError(const Status& s, std::string_view prefix);

}  // namespace haloguard::monitor
