// Bearer API keys: loaded from flags/env and an optional key file, checked in constant time.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace haloguard::server {

class ApiKeys {
 public:
  ApiKeys();  // no keys: authentication disabled

  // `keys`: each entry may hold several comma-separated keys (so one env var can carry many).
  // `key_file` ("" = none): one key per line; blank lines and lines starting with '#' skipped.
  // Errors: NOT_FOUND for an unreadable file; INVALID_ARGUMENT for a key with whitespace or
  // control characters, or shorter than 8 bytes (names the source and line, never the key).
  static StatusOr<ApiKeys> Load(const std::vector<std::string>& keys, const std::string& key_file);

  // SIGHUP: loads the same sources again and swaps the key set in atomically (requests see the
  // old set or the new one, never a mix). On any error the old set stays and the error is
  // returned; also FAILED_PRECONDITION when the new set is empty but the old one was not (a
  // truncated key file must not turn authentication off). Thread-safe.
  Status Reload(const std::vector<std::string>& keys, const std::string& key_file);

  bool enabled() const { return size() > 0; }
  size_t size() const;

  // True if `authorization` is "Bearer <key>" (scheme case-insensitive) for a configured key.
  // Time depends only on the presented header's length and the number of keys, never on how
  // much of a key matched. Thread-safe.
  bool Check(std::string_view authorization) const;

  // A request's credentials: true if its `Authorization: Bearer <key>` or its `x-api-key: <key>`
  // header (either may be null) holds a configured key. Gateways (LiteLLM, Envoy ext_authz)
  // send the guard's key as x-api-key while Authorization carries the client's own credential.
  bool CheckHeaders(const std::string* authorization, const std::string* x_api_key) const;

 private:
  using KeySet = std::shared_ptr<const std::vector<std::string>>;
  KeySet Current() const;
  struct Shared {
    mutable std::mutex mu;
    KeySet keys;
  };
  std::shared_ptr<Shared> shared_;  // copies of an ApiKeys share (and reload) one key set
};

// Compares in time that depends only on presented.size(): no early exit on the first mismatch.
bool ConstantTimeEquals(std::string_view presented, std::string_view secret);

}  // namespace haloguard::server
