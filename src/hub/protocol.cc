// Hub protocol helpers: URLs, ETags and the X-Error-Code -> Status table.
#include "hub/protocol.h"

#include <algorithm>
#include <cctype>

namespace haloguard::hub {

std::string PercentEncode(const std::string& s, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string ResolveUrl(const std::string& endpoint, const std::string& repo_id,
                       const std::string& revision, const std::string& file) {
  return endpoint + "/" + repo_id + "/resolve/" + PercentEncode(revision, false) + "/" +
         PercentEncode(file, true);
}

std::string UrlOrigin(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  size_t path = url.find('/', scheme + 3);
  return path == std::string::npos ? url : url.substr(0, path);
}

std::string RepoOfResolvePath(const std::string& path) {
  const size_t end = path.find("/resolve/");
  if (path.empty() || path[0] != '/' || end == std::string::npos) return "";
  const std::string repo = path.substr(1, end - 1);
  return std::count(repo.begin(), repo.end(), '/') == 1 ? repo : "";
}

std::string NormalizeEtag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag = etag.substr(2);
  etag.erase(std::remove(etag.begin(), etag.end(), '"'), etag.end());
  return etag;
}

namespace {

std::string Describe(const RequestContext& ctx) {
  return "hub: " + ctx.repo_id + "@" + ctx.revision + "/" + ctx.file;
}

std::string ServerSays(const HttpResponse& r) {
  std::string m = r.Header("x-error-message");
  return m.empty() ? "" : " (server: " + m + ")";
}

Status AuthError(const HttpResponse& r, const RequestContext& ctx, bool gated) {
  const std::string page = ctx.endpoint + "/" + ctx.repo_id;
  std::string what = gated ? "the repository is gated" : "the repository is private, gated or "
                                                         "does not exist";
  if (!ctx.has_token) {
    return UnauthenticatedError(Describe(ctx) + ": " + what + "; expected an access token, got "
                                "none" + ServerSays(r) + " (hint: accept the conditions at " +
                                page + ", create a read token, then export HF_TOKEN=hf_... or "
                                "pass --token)");
  }
  return PermissionDeniedError(Describe(ctx) + ": " + what + " and the token was refused (HTTP " +
                               std::to_string(r.status) + ")" + ServerSays(r) + " (hint: check "
                               "that your account has access at " + page + " and the token is "
                               "valid)");
}

}  // namespace

Status HubError(const HttpResponse& r, const RequestContext& ctx) {
  const std::string code = r.Header("x-error-code");
  const std::string where = Describe(ctx);
  if (code == "EntryNotFound" || (r.status == 404 && code.empty())) {
    return NotFoundError(std::string(kEntryNotFoundPrefix) + where + " does not exist" +
                         ServerSays(r));
  }
  if (code == "RevisionNotFound") {
    return NotFoundError(where + ": revision '" + ctx.revision + "' not found" + ServerSays(r) +
                         " (hint: check --revision; branches, tags and commit ids work)");
  }
  if (code == "GatedRepo") return AuthError(r, ctx, /*gated=*/true);
  if (code == "RepoNotFound" || code == "RepositoryNotFound") {
    if (r.status == 404) {
      return NotFoundError(where + ": repository '" + ctx.repo_id + "' not found at " +
                           ctx.endpoint + ServerSays(r));
    }
    return AuthError(r, ctx, /*gated=*/false);
  }
  if (r.status == 401 || r.status == 403) return AuthError(r, ctx, /*gated=*/false);
  if (r.status == 429 || r.status >= 500) {
    return UnavailableError(where + ": HTTP " + std::to_string(r.status) + ServerSays(r));
  }
  return Status(StatusCode::kUnknown, where + ": unexpected HTTP " + std::to_string(r.status) +
                                          ServerSays(r));
}

bool IsEntryNotFound(const Status& s) {
  return s.code() == StatusCode::kNotFound && s.message().rfind(kEntryNotFoundPrefix, 0) == 0;
}

double BackoffSeconds(int attempt, double base) {
  double wait = base;
  for (int i = 0; i < attempt && wait < 16 * base; ++i) wait *= 2;
  return std::min(wait, 16 * base);
}

}  // namespace haloguard::hub
