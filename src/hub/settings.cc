// Resolves hub settings from options and the environment; validates repo ids, revisions and names.
#include "hub/settings.h"

#include <cctype>
#include <cstdlib>

#include "core/mapped_file.h"

namespace haloguard::hub {
namespace {

std::string Get(const EnvLookup& env, const char* name) {
  const char* v = env(name);
  return v ? std::string(v) : std::string();
}

// Value of the first variable that is set and non-empty.
std::string FirstSet(const EnvLookup& env, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    std::string v = Get(env, n);
    if (!v.empty()) return v;
  }
  return "";
}

bool IsTrue(std::string v) {
  for (char& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return v == "1" || v == "ON" || v == "YES" || v == "TRUE";
}

std::string ExpandHome(const std::string& path, const EnvLookup& env) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    std::string home = Get(env, "HOME");
    if (!home.empty()) return home + path.substr(1);
  }
  return path;
}

std::string Trim(std::string s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// HF_HOME: $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface ("" if no HOME).
std::string HfHome(const EnvLookup& env) {
  std::string home = Get(env, "HF_HOME");
  if (!home.empty()) return ExpandHome(home, env);
  std::string xdg = Get(env, "XDG_CACHE_HOME");
  if (!xdg.empty()) return ExpandHome(xdg, env) + "/huggingface";
  std::string user_home = Get(env, "HOME");
  return user_home.empty() ? "" : user_home + "/.cache/huggingface";
}

std::string ResolveToken(const PullOptions& options, const EnvLookup& env) {
  if (!options.token.empty()) return Trim(options.token);
  std::string t = FirstSet(env, {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"});
  if (!t.empty()) return Trim(t);
  std::string path = Get(env, "HF_TOKEN_PATH");
  if (path.empty()) {
    std::string home = HfHome(env);
    if (home.empty()) return "";
    path = home + "/token";
  }
  StatusOr<std::string> text = ReadFileToString(ExpandHome(path, env), 64 << 10);
  return text.ok() ? Trim(*text) : "";
}

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

Status ValidateRepoPart(std::string_view part, std::string_view repo_id) {
  if (part.empty() || !IsWordChar(part.front()) || !IsWordChar(part.back())) {
    return InvalidArgumentError("repo id '" + std::string(repo_id) +
                                "': each part must start and end with a letter, digit or '_'");
  }
  for (char c : part) {
    if (!IsNameChar(c)) {
      return InvalidArgumentError("repo id '" + std::string(repo_id) +
                                  "': invalid character; expected [A-Za-z0-9_.-], got '" +
                                  std::string(1, c) + "'");
    }
  }
  return OkStatus();
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const char* name) -> const char* { return std::getenv(name); };
}

StatusOr<HubSettings> ResolveSettings(const PullOptions& options, const EnvLookup& env) {
  HubSettings s;
  s.endpoint = !options.endpoint.empty() ? options.endpoint : Get(env, "HF_ENDPOINT");
  if (s.endpoint.empty()) s.endpoint = "https://huggingface.co";
  while (!s.endpoint.empty() && s.endpoint.back() == '/') s.endpoint.pop_back();
  if (s.endpoint.rfind("http://", 0) != 0 && s.endpoint.rfind("https://", 0) != 0) {
    return InvalidArgumentError("hub endpoint: expected an http:// or https:// URL, got '" +
                                s.endpoint + "' (from --endpoint or HF_ENDPOINT)");
  }
  s.token = ResolveToken(options, env);
  s.offline = options.offline || IsTrue(Get(env, "HF_HUB_OFFLINE")) ||
              IsTrue(Get(env, "TRANSFORMERS_OFFLINE"));
  s.cache_dir = options.cache_dir;
  if (s.cache_dir.empty()) s.cache_dir = FirstSet(env, {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"});
  if (s.cache_dir.empty()) {
    std::string home = HfHome(env);
    if (!home.empty()) s.cache_dir = home + "/hub";
  }
  if (s.cache_dir.empty()) {
    return FailedPreconditionError(
        "hub cache: cannot derive a cache directory; expected HF_HUB_CACHE, HF_HOME or HOME to "
        "be set, got none (hint: pass --cache-dir)");
  }
  s.cache_dir = ExpandHome(s.cache_dir, env);
  while (s.cache_dir.size() > 1 && s.cache_dir.back() == '/') s.cache_dir.pop_back();
  return s;
}

Status ValidateRepoId(std::string_view repo_id) {
  const std::string id(repo_id);
  if (repo_id.empty() || repo_id.size() > 96) {
    return InvalidArgumentError("repo id '" + id + "': expected 1..96 characters, got " +
                                std::to_string(repo_id.size()));
  }
  size_t slash = repo_id.find('/');
  if (slash == std::string_view::npos || repo_id.find('/', slash + 1) != std::string_view::npos) {
    return InvalidArgumentError("repo id '" + id + "': expected the form owner/name");
  }
  if (repo_id.find("--") != std::string_view::npos || repo_id.find("..") != std::string_view::npos) {
    return InvalidArgumentError("repo id '" + id + "': '--' and '..' are not allowed");
  }
  if (repo_id.size() >= 4 && repo_id.substr(repo_id.size() - 4) == ".git") {
    return InvalidArgumentError("repo id '" + id + "': must not end with '.git'");
  }
  HG_RETURN_IF_ERROR(ValidateRepoPart(repo_id.substr(0, slash), repo_id));
  return ValidateRepoPart(repo_id.substr(slash + 1), repo_id);
}

Status ValidateRevision(std::string_view revision) {
  const std::string rev(revision);
  if (revision.empty() || revision.size() > 255) {
    return InvalidArgumentError("revision: expected 1..255 characters, got " +
                                std::to_string(revision.size()));
  }
  for (char c : revision) {
    if (c <= ' ' || c >= 127 || c == '\\') {
      return InvalidArgumentError("revision '" + rev + "': expected printable ASCII without "
                                  "spaces or '\\'");
    }
  }
  if (revision.front() == '/' || revision.back() == '/' ||
      revision.find("..") != std::string_view::npos) {
    return InvalidArgumentError("revision '" + rev + "': leading/trailing '/' and '..' are "
                                "not allowed");
  }
  return OkStatus();
}

Status ValidateFileName(std::string_view name) {
  const std::string n(name);
  if (name.empty() || name.size() > 255 || name.front() == '.') {
    return InvalidArgumentError("checkpoint file name '" + n + "': expected a plain file name "
                                "(1..255 bytes, not starting with '.')");
  }
  for (char c : name) {
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return InvalidArgumentError("checkpoint file name '" + n + "': expected a plain file name, "
                                  "got a path separator or control byte");
    }
  }
  return OkStatus();
}

bool IsLowerHex(std::string_view s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsCommitHash(std::string_view s) { return IsLowerHex(s, 40); }

std::string RepoFolderName(std::string_view repo_id) {
  std::string out = "models--";
  for (char c : repo_id) {
    if (c == '/') {
      out += "--";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace haloguard::hub
