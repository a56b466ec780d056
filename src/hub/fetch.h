// Fetching single files of one repository into the hub cache: HEAD for metadata (following only
// relative redirects, like huggingface_hub), then a resumable, retried GET into
// blobs/<etag>.incomplete, verification against the ETag (LFS sha256 or git blob sha1) and size,
// atomic rename to blobs/<etag>, and the snapshot symlink. pull.cc decides which files.
#pragma once

#include <string>

#include "core/status.h"
#include "hub/cache.h"
#include "hub/http_client.h"
#include "hub/progress.h"
#include "hub/protocol.h"
#include "hub/settings.h"

namespace haloguard::hub {

class Fetcher {
 public:
  // `repo_id` must be valid. Keeps references to nothing; cheap to construct.
  Fetcher(const HubSettings& settings, const PullOptions& options, std::string repo_id);

  // HEAD {endpoint}/{repo}/resolve/{revision}/{file} with up to `max_retries` retries (-1: the
  // options' value). Errors: HubError's (an absent file gives IsEntryNotFound), UNAVAILABLE after
  // the retries, DATA_LOSS for a response without an ETag or with one that cannot name a blob.
  StatusOr<FileMetadata> Metadata(const std::string& revision, const std::string& file,
                                  int max_retries = -1) const;

  // Makes snapshots/<commit>/<file> point at a verified blob named meta.etag, downloading it
  // (resuming any .incomplete, under the blob's lock) unless the blob is already cached. A blob
  // whose bytes do not match the ETag is deleted and fetched again once; DATA_LOSS if it still
  // does not match. With verify_cache, cached blobs are re-hashed first.
  Status Download(const std::string& commit, const std::string& file, const FileMetadata& meta);

  const RepoCache& cache() const { return cache_; }

 private:
  StatusOr<HttpResponse> HeadWithRetries(const std::string& url, bool send_token,
                                         int max_retries) const;
  Status FetchBlob(const std::string& file, const FileMetadata& meta);
  Status TransferWithRetries(const std::string& file, const FileMetadata& meta,
                             const std::string& path);
  StatusOr<HttpResponse> TransferOnce(const std::string& file, const FileMetadata& meta,
                                      const std::string& path, uint64_t offset);
  Status Verify(const std::string& path, const FileMetadata& meta) const;
  std::vector<std::string> Headers(bool send_token) const;
  bool SameOriginAsEndpoint(const std::string& url) const;
  void Sleep(int attempt, const Status& why) const;

  HubSettings settings_;
  PullOptions options_;
  std::string repo_id_;
  RepoCache cache_;
  HttpClient client_;
  Progress progress_;
};

}  // namespace haloguard::hub
