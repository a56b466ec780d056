// The Hub's file-resolution protocol, as huggingface_hub speaks it: resolve URLs, ETag
// normalisation, metadata headers (X-Repo-Commit, X-Linked-Etag, X-Linked-Size) and the mapping of
// Hub error responses (X-Error-Code) to Status with actionable messages. Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"
#include "hub/http_client.h"

namespace haloguard::hub {

// Percent-encodes everything but RFC 3986 unreserved characters (and '/' if keep_slash).
std::string PercentEncode(const std::string& s, bool keep_slash);

// {endpoint}/{repo_id}/resolve/{revision, '/' encoded}/{file}.
std::string ResolveUrl(const std::string& endpoint, const std::string& repo_id,
                       const std::string& revision, const std::string& file);

// "scheme://host[:port]" of an absolute URL ("" if not absolute).
std::string UrlOrigin(const std::string& url);

// W/"abc" or "abc" -> abc.
std::string NormalizeEtag(std::string etag);

// What a HEAD on a resolve URL told us about one file at one revision.
struct FileMetadata {
  std::string commit;             // X-Repo-Commit ("" if the server sent none)
  std::string etag;               // normalised X-Linked-Etag or ETag: LFS sha256 or git blob sha1
  std::optional<uint64_t> size;   // X-Linked-Size or Content-Length
  std::string location;           // where to GET the bytes (CDN URL for LFS files)
  std::string renamed_to;         // owner/name a same-host redirect moved the repo to ("" if none)
};

// The "owner/name" of a resolve path "/owner/name/resolve/..." (a relative Location), or "".
std::string RepoOfResolvePath(const std::string& path);

// Context for error messages.
struct RequestContext {
  std::string endpoint;
  std::string repo_id;
  std::string revision;
  std::string file;
  bool has_token = false;
};

// Maps a non-2xx/3xx Hub response to a Status. 404 EntryNotFound (or a bare 404) -> NOT_FOUND whose
// message starts with kEntryNotFoundPrefix, so a caller can treat an optional file as absent;
// RepoNotFound/RevisionNotFound -> NOT_FOUND; GatedRepo and 401 -> UNAUTHENTICATED (no token) or
// PERMISSION_DENIED (token without access); 429/5xx -> UNAVAILABLE (transient).
Status HubError(const HttpResponse& response, const RequestContext& ctx);
inline constexpr const char* kEntryNotFoundPrefix = "file not found: ";
bool IsEntryNotFound(const Status& s);

// Backoff before retry `attempt` (0-based): base * 2^attempt, capped at 16 * base, in seconds.
double BackoffSeconds(int attempt, double base);

}  // namespace haloguard::hub
