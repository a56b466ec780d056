// API key loading and constant-time bearer checks.
#include "server/auth.h"

#include <fstream>

namespace haloguard::server {
namespace {

Status AddKey(std::string_view key, const std::string& where, std::vector<std::string>& out) {
  for (char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) {
      return InvalidArgumentError(where + ": API key contains whitespace or a control character");
    }
  }
  if (key.size() < 8) {
    return InvalidArgumentError(where + ": API key too short; expected at least 8 bytes, got " +
                                std::to_string(key.size()));
  }
  out.emplace_back(key);
  return OkStatus();
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

bool ConstantTimeEquals(std::string_view presented, std::string_view secret) {
  if (secret.empty()) return false;
  volatile unsigned char diff = presented.size() == secret.size() ? 0 : 1;
  for (size_t i = 0; i < presented.size(); ++i) {
    diff = diff | static_cast<unsigned char>(presented[i] ^ secret[i % secret.size()]);
  }
  return diff == 0;
}

ApiKeys::ApiKeys() : shared_(std::make_shared<Shared>()) {
  shared_->keys = std::make_shared<const std::vector<std::string>>();
}

ApiKeys::KeySet ApiKeys::Current() const {
  std::lock_guard<std::mutex> lock(shared_->mu);
  return shared_->keys;
}

size_t ApiKeys::size() const { return Current()->size(); }

Status ApiKeys::Reload(const std::vector<std::string>& keys, const std::string& key_file) {
  HG_ASSIGN_OR_RETURN(ApiKeys fresh, Load(keys, key_file));
  KeySet next = fresh.Current();
  std::lock_guard<std::mutex> lock(shared_->mu);
  if (next->empty() && !shared_->keys->empty()) {
    return FailedPreconditionError(
        "API keys: the reloaded sources hold no key; expected at least one (authentication "
        "stays on with the old keys)");
  }
  shared_->keys = std::move(next);
  return OkStatus();
}

StatusOr<ApiKeys> ApiKeys::Load(const std::vector<std::string>& keys, const std::string& key_file) {
  std::vector<std::string> loaded;
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string_view rest = keys[i];
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      std::string_view key = TrimSpace(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (!key.empty())
        HG_RETURN_IF_ERROR(AddKey(key, "--api-key #" + std::to_string(i + 1), loaded));
    }
  }
  if (!key_file.empty()) {
    std::ifstream in(key_file);
    if (!in) return NotFoundError("--api-key-file: cannot read '" + key_file + "'");
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      std::string_view key = TrimSpace(line);
      if (key.empty() || key[0] == '#') continue;
      HG_RETURN_IF_ERROR(AddKey(key, key_file + ":" + std::to_string(n), loaded));
    }
  }
  ApiKeys out;
  out.shared_->keys = std::make_shared<const std::vector<std::string>>(std::move(loaded));
  return out;
}

bool ApiKeys::CheckHeaders(const std::string* authorization, const std::string* x_api_key) const {
  if (authorization != nullptr && Check(*authorization)) return true;
  return x_api_key != nullptr && Check("Bearer " + *x_api_key);
}

bool ApiKeys::Check(std::string_view authorization) const {
  authorization = TrimSpace(authorization);
  if (authorization.size() < 7) return false;
  std::string scheme(authorization.substr(0, 7));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer ") return false;
  std::string_view presented = TrimSpace(authorization.substr(7));
  bool ok = false;
  const KeySet keys = Current();
  for (const std::string& key : *keys) ok |= ConstantTimeEquals(presented, key);  // no early exit
  return ok;
}

}  // namespace haloguard::server
