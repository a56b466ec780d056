// Bearer API keys: loaded from flags/env and an optional key file, checked in constant time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace haloguard::server {

class ApiKeys {
 public:
  ApiKeys() = default;  // no keys: authentication disabled

  // `keys`: each entry may hold several comma-separated keys (so one env var can carry many).
  // `key_file` ("" = none): one key per line; blank lines and lines starting with '#' skipped.
  // Errors: NOT_FOUND for an unreadable file; INVALID_ARGUMENT for a key with whitespace or
  // control characters, or shorter than 8 bytes (names the source and line, never the key).
  static StatusOr<ApiKeys> Load(const std::vector<std::string>& keys, const std::string& key_file);

  bool enabled() const { return !keys_.empty(); }
  size_t size() const { return keys_.size(); }

  // True if `authorization` is "Bearer <key>" (scheme case-insensitive) for a configured key.
  // Time depends only on the presented header's length and the number of keys, never on how
  // much of a key matched. Thread-safe.
  bool Check(std::string_view authorization) const;

 private:
  std::vector<std::string> keys_;
};

// Compares in time that depends only on presented.size(): no early exit on the first mismatch.
bool ConstantTimeEquals(std::string_view presented, std::string_view secret);

}  // namespace haloguard::server
