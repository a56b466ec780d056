// A mock of the Hugging Face Hub's file endpoints on loopback, for tests only: resolve URLs with
// X-Repo-Commit / ETag / X-Linked-Etag / X-Linked-Size, 302 redirects of LFS files to a "CDN" on
// another origin (http://localhost:<port>/cdn/<sha256>), relative 307s for renamed repos, Range
// requests, Hub error codes (RepoNotFound, GatedRepo, RevisionNotFound, EntryNotFound) and
// injectable faults (dropped connections, corrupted bytes, ignored Range, 503s). It also answers
// absolute-form requests, so it can stand in as the HTTP proxy in front of a fake hub host.
// Serves one connection at a time on its own thread; every method is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace haloguard::hub::testing {

struct MockFile {
  std::string content;
  bool lfs = false;  // served through a 302 to the CDN, ETag = sha256 (else git blob sha1)
};

struct MockRepo {
  std::string commit;                     // 40 hex; "main" resolves to it
  std::map<std::string, MockFile> files;  // file name -> content at that commit
  bool gated = false;                     // needs "Authorization: Bearer <token>"
  std::string token = "hf_mock_token";
};

struct RecordedRequest {
  std::string method;
  std::string path;           // as sent (percent-encoded)
  std::string range;          // Range header or ""
  std::string authorization;  // Authorization header or ""
  std::string proxied_host;   // target host when the request came through us as a proxy
};

class MockHub {
 public:
  MockHub();
  ~MockHub();
  MockHub(const MockHub&) = delete;
  MockHub& operator=(const MockHub&) = delete;

  // "http://127.0.0.1:<port>" (the CDN answers on http://localhost:<port>, another origin).
  std::string endpoint() const;
  void AddRepo(const std::string& repo_id, MockRepo repo);
  // Requests for `old_id` get a relative 307 to the same path under `new_id`.
  void AddRename(const std::string& old_id, const std::string& new_id);

  // Faults for the next `count` body GETs of `file` (on the CDN or the resolve URL).
  void CutNextGets(const std::string& file, int count, size_t after_bytes);
  void CorruptNextGets(const std::string& file, int count);
  void IgnoreRangeNextGets(const std::string& file, int count);
  // HTTP 503 for the next `count` body GETs of `file` once its cut faults are used up.
  void FailNextGets(const std::string& file, int count);
  // The next `count` requests of any kind get HTTP 503.
  void FailNextRequests(int count);

  std::vector<RecordedRequest> requests() const;
  // Number of recorded requests with this method whose path contains `path_part`.
  int Count(const std::string& method, const std::string& path_part) const;
  void ClearRequests();

  static std::string Sha256Hex(const std::string& data);
  static std::string GitBlobSha1Hex(const std::string& data);

  // Parsed request and the response to write (defined in mock_hub.cc).
  struct Request;
  struct Response;

 private:
  struct Faults {
    int cut = 0;
    size_t cut_after = 0;
    int corrupt = 0;
    int ignore_range = 0;
    int fail = 0;
  };
  void Serve();
  void Handle(int fd);
  Response Route(const Request& req);
  Response ResolveFile(const Request& req, const std::string& repo_id, const std::string& rev,
                       const std::string& file);
  Response Body(const Request& req, const std::string& file, const std::string& content);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::map<std::string, MockRepo> repos_;
  std::map<std::string, std::string> renames_;
  std::map<std::string, Faults> faults_;
  int fail_next_ = 0;
  std::vector<RecordedRequest> log_;
};

// Deterministic pseudo-random bytes (a stand-in for weights).
std::string RandomBytes(size_t n, uint32_t seed);

}  // namespace haloguard::hub::testing
