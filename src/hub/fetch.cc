// Fetcher: HEAD metadata, resumable retried GET into the cache, verification, atomic rename.
#include "hub/fetch.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "core/log.h"
#include "hub/digest.h"

namespace haloguard::hub {
namespace {

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string msg = "hub: cannot write " + path + "; " + std::strerror(errno);
      return errno == ENOSPC ? ResourceExhaustedError(msg) : InternalError(msg);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

Status Truncate(int fd, const std::string& path) {
  if (::ftruncate(fd, 0) != 0) {
    return InternalError("hub: cannot truncate " + path + "; " + std::strerror(errno));
  }
  return OkStatus();
}

// Start offset of "Content-Range: bytes <start>-<end>/<total>", or -1.
long long ContentRangeStart(const std::string& value) {
  if (value.rfind("bytes ", 0) != 0) return -1;
  char* end = nullptr;
  long long start = std::strtoll(value.c_str() + 6, &end, 10);
  return end && *end == '-' ? start : -1;
}

// Fails early, before a multi-GB transfer, when the cache's filesystem cannot hold the rest.
Status CheckFreeSpace(const std::string& path, uint64_t needed) {
  struct statvfs vfs;
  const std::string dir = path.substr(0, path.find_last_of('/'));
  if (::statvfs(dir.c_str(), &vfs) != 0) return OkStatus();  // unknown: let write() report
  const uint64_t avail = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  if (avail >= needed) return OkStatus();
  return ResourceExhaustedError("hub: not enough disk space in " + dir + "; expected at least " +
                                HumanBytes(static_cast<double>(needed)) + " free, got " +
                                HumanBytes(static_cast<double>(avail)) +
                                " (hint: set HF_HUB_CACHE or --cache-dir to a larger disk)");
}

uint64_t SizeOrZero(const std::string& path) {
  StatusOr<uint64_t> size = FileSize(path);
  return size.ok() ? *size : 0;
}

DigestKind KindForEtag(const std::string& etag, bool* known) {
  *known = IsLowerHex(etag, 64) || IsLowerHex(etag, 40);
  return IsLowerHex(etag, 64) ? DigestKind::kSha256 : DigestKind::kGitBlobSha1;
}

}  // namespace

Fetcher::Fetcher(const HubSettings& settings, const PullOptions& options, std::string repo_id)
    : settings_(settings),
      options_(options),
      repo_id_(std::move(repo_id)),
      cache_(settings.cache_dir, repo_id_),
      progress_(options.progress) {}

std::vector<std::string> Fetcher::Headers(bool send_token) const {
  // Explicit identity: without Accept-Encoding a server may compress, and then Content-Length
  // is not the file size.
  std::vector<std::string> h = {"Accept-Encoding: identity"};
  if (send_token && !settings_.token.empty()) h.push_back("Authorization: Bearer " + settings_.token);
  return h;
}

bool Fetcher::SameOriginAsEndpoint(const std::string& url) const {
  return UrlOrigin(url) == UrlOrigin(settings_.endpoint);
}

void Fetcher::Sleep(int attempt, const Status& why) const {
  const double s = BackoffSeconds(attempt, options_.retry_base_seconds);
  HG_LOG(WARNING) << why.message() << "; retrying in " << s << " s";
  std::this_thread::sleep_for(std::chrono::duration<double>(s));
}

StatusOr<HttpResponse> Fetcher::HeadWithRetries(const std::string& url, bool send_token,
                                                int max_retries) const {
  for (int attempt = 0;; ++attempt) {
    StatusOr<HttpResponse> r = client_.Head(url, Headers(send_token));
    Status err = r.status();
    if (r.ok() && (r->status == 429 || r->status >= 500)) {
      err = UnavailableError("HEAD " + url + ": HTTP " + std::to_string(r->status));
    }
    if (err.ok()) return r;
    if (!IsTransient(err) || attempt >= max_retries) return err;
    Sleep(attempt, err);
  }
}

StatusOr<FileMetadata> Fetcher::Metadata(const std::string& revision, const std::string& file,
                                         int max_retries) const {
  if (max_retries < 0) max_retries = options_.max_retries;
  const RequestContext ctx{settings_.endpoint, repo_id_, revision, file, !settings_.token.empty()};
  std::string url = ResolveUrl(settings_.endpoint, repo_id_, revision, file);
  FileMetadata meta;
  bool send_token = true;
  for (int hop = 0; hop < 10; ++hop) {
    HG_ASSIGN_OR_RETURN(HttpResponse r, HeadWithRetries(url, send_token, max_retries));
    if (meta.commit.empty()) meta.commit = r.Header("x-repo-commit");
    const bool redirect = r.status >= 300 && r.status < 400;
    if (!redirect && (r.status < 200 || r.status >= 300)) return HubError(r, ctx);
    std::string etag = r.Header("x-linked-etag");
    if (etag.empty()) etag = r.Header("etag");
    if (redirect) {
      const std::string loc = r.Header("location");
      if (loc.empty()) return HubError(r, ctx);
      // A redirect to another repo's resolve path on the Hub itself is a rename (the Hub sends
      // 301/307 with the new owner/name); say so, so the caller can use the new name.
      const std::string hub_path = loc[0] == '/'                ? loc
                                   : SameOriginAsEndpoint(loc) ? loc.substr(UrlOrigin(loc).size())
                                                               : "";
      const std::string moved = RepoOfResolvePath(hub_path);
      if (!moved.empty() && moved != repo_id_) meta.renamed_to = moved;
      if (loc[0] == '/') {  // same host (renamed repo, resolve-cache): follow, like the Python hub
        url = UrlOrigin(url) + loc;
        continue;
      }
      if (etag.empty()) {  // a mirror redirecting before it knows the ETag: ask the target
        url = loc;
        send_token = SameOriginAsEndpoint(loc);
        continue;
      }
      meta.location = loc;
    } else {
      meta.location = url;
    }
    meta.etag = NormalizeEtag(etag);
    std::string size = r.Header("x-linked-size");
    if (size.empty() && !redirect) size = r.Header("content-length");
    if (!size.empty()) meta.size = std::strtoull(size.c_str(), nullptr, 10);
    if (meta.etag.empty() || !ValidateFileName(meta.etag).ok()) {
      return DataLossError("hub: " + repo_id_ + "/" + file + ": expected an ETag naming the "
                           "file's content, got '" + etag + "'; cannot verify or cache it");
    }
    return meta;
  }
  return Status(StatusCode::kUnknown, "hub: " + url + ": more than 10 redirects");
}

Status Fetcher::Download(const std::string& commit, const std::string& file,
                         const FileMetadata& meta) {
  if (PathExists(cache_.BlobPath(meta.etag)) && !options_.verify_cache) {
    return cache_.LinkSnapshotFile(commit, file, meta.etag);
  }
  HG_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(cache_.LockPath(meta.etag)));
  HG_RETURN_IF_ERROR(FetchBlob(file, meta));
  return cache_.LinkSnapshotFile(commit, file, meta.etag);
}

Status Fetcher::FetchBlob(const std::string& file, const FileMetadata& meta) {
  const std::string blob = cache_.BlobPath(meta.etag);
  if (PathExists(blob)) {  // another process finished it while we waited for the lock
    if (!options_.verify_cache) return OkStatus();
    Status v = Verify(blob, meta);
    if (v.ok()) return OkStatus();
    HG_LOG(WARNING) << v.message() << "; deleting the cached blob and downloading again";
    ::unlink(blob.c_str());
  }
  HG_RETURN_IF_ERROR(MakeDirs(cache_.repo_dir() + "/blobs"));
  const std::string incomplete = cache_.IncompletePath(meta.etag);
  Status last;
  for (int round = 0; round < 2; ++round) {
    last = TransferWithRetries(file, meta, incomplete);
    if (last.ok()) last = Verify(incomplete, meta);
    if (last.ok()) {
      if (::rename(incomplete.c_str(), blob.c_str()) != 0) {
        return InternalError("hub: cannot rename " + incomplete + " to " + blob + "; " +
                             std::strerror(errno));
      }
      return OkStatus();
    }
    if (last.code() != StatusCode::kDataLoss) return last;
    HG_LOG(WARNING) << last.message() << "; deleting the partial file and downloading again";
    ::unlink(incomplete.c_str());
  }
  return DataLossError(last.message() + "; still wrong after downloading twice (hint: a proxy or "
                       "mirror may be altering the file; try another HF_ENDPOINT or network)");
}

Status Fetcher::Verify(const std::string& path, const FileMetadata& meta) const {
  HG_ASSIGN_OR_RETURN(uint64_t size, FileSize(path));
  if (meta.size && size != *meta.size) {
    return DataLossError("hub: " + path + ": size mismatch; expected " +
                         std::to_string(*meta.size) + " bytes, got " + std::to_string(size));
  }
  bool known = false;
  DigestKind kind = KindForEtag(meta.etag, &known);
  if (!known) {
    HG_LOG(WARNING) << "hub: " << path << ": ETag '" << meta.etag
                    << "' is neither a sha256 nor a git sha1; only the size was checked";
    return OkStatus();
  }
  HG_ASSIGN_OR_RETURN(std::string got, HashFile(path, kind));
  if (got != meta.etag) {
    return DataLossError("hub: " + path + ": " +
                         (kind == DigestKind::kSha256 ? "sha256" : "git blob sha1") +
                         " mismatch; expected " + meta.etag + ", got " + got);
  }
  return OkStatus();
}

Status Fetcher::TransferWithRetries(const std::string& file, const FileMetadata& meta,
                                    const std::string& path) {
  const RequestContext ctx{settings_.endpoint, repo_id_, "", file, !settings_.token.empty()};
  int failures = 0;  // consecutive attempts that made no progress
  for (;;) {
    uint64_t offset = SizeOrZero(path);
    if (meta.size && offset > *meta.size) {
      ::truncate(path.c_str(), 0);
      offset = 0;
    }
    if (meta.size && offset == *meta.size && offset > 0) return OkStatus();  // done before a crash
    if (meta.size) HG_RETURN_IF_ERROR(CheckFreeSpace(path, *meta.size - offset));
    progress_.Start(file, meta.size.value_or(0), offset);
    StatusOr<HttpResponse> r = TransferOnce(file, meta, path, offset);
    Status err = r.status();
    if (r.ok() && r->status >= 200 && r->status < 300) {
      progress_.Finish(true);
      return OkStatus();
    }
    progress_.Finish(false);
    if (r.ok() && r->status == 416) {  // our partial file is not a prefix the server knows
      ::truncate(path.c_str(), 0);
      err = UnavailableError("hub: GET " + meta.location + ": HTTP 416 for a resumed download");
    } else if (r.ok()) {
      err = HubError(*r, ctx);
    }
    if (!IsTransient(err)) return err;
    const uint64_t now = SizeOrZero(path);
    failures = now > offset ? 0 : failures + 1;
    if (failures > options_.max_retries) {
      return UnavailableError(err.message() + "; gave up after " + std::to_string(failures) +
                              " attempts without progress");
    }
    Sleep(failures, err);
  }
}

StatusOr<HttpResponse> Fetcher::TransferOnce(const std::string& file, const FileMetadata& meta,
                                             const std::string& path, uint64_t offset) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return InternalError("hub: cannot open " + path + "; " + std::strerror(errno));
  uint64_t have = offset;
  auto on_headers = [&](const HttpResponse& r) -> Status {
    if (r.status == 206) {
      if (ContentRangeStart(r.Header("content-range")) == static_cast<long long>(offset)) {
        return OkStatus();
      }
      HG_RETURN_IF_ERROR(Truncate(fd, path));
      return UnavailableError("hub: GET " + meta.location + ": expected Content-Range from " +
                              std::to_string(offset) + ", got '" + r.Header("content-range") +
                              "'; restarting from 0");
    }
    if (offset > 0) {  // 200 to a Range request: the server sends everything again
      HG_RETURN_IF_ERROR(Truncate(fd, path));
      have = 0;
      progress_.Start(file, meta.size.value_or(0), 0);
    }
    return OkStatus();
  };
  auto on_body = [&](std::string_view chunk) -> Status {
    have += chunk.size();
    if (meta.size && have > *meta.size) {
      return DataLossError("hub: GET " + meta.location + ": server sent more than the expected " +
                           std::to_string(*meta.size) + " bytes");
    }
    progress_.Advance(chunk.size());
    return WriteAll(fd, chunk, path);
  };
  StatusOr<HttpResponse> r = client_.Get(meta.location, Headers(SameOriginAsEndpoint(meta.location)),
                                         offset, on_headers, on_body);
  if (r.ok() && r->status >= 200 && r->status < 300 && ::fsync(fd) != 0) {
    r = InternalError("hub: cannot flush " + path + "; " + std::strerror(errno));
  }
  ::close(fd);
  return r;
}

}  // namespace haloguard::hub
