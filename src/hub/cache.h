// The on-disk Hugging Face hub cache, byte-compatible with huggingface_hub (file_download.py):
//   <cache>/models--owner--name/blobs/<etag>            file contents, named by ETag
//                              /blobs/<etag>.incomplete  partial download (resumable by either tool)
//                              /refs/<revision>          commit sha, no newline
//                              /snapshots/<commit>/<f>   symlink -> ../../blobs/<etag>
//                              /.no_exist/<commit>/<f>   empty: the file is known to be absent
//   <cache>/.locks/models--owner--name/<etag>.lock       flock(2), the lock filelock takes
// Only paths and small metadata here; downloading is fetch.h's job.
#pragma once

#include <string>

#include "core/status.h"

namespace haloguard::hub {

// mkdir -p. Errors: INTERNAL / PERMISSION_DENIED naming the directory.
Status MakeDirs(const std::string& path);

// An exclusive advisory lock (flock) on a lock file, released on destruction. Interoperates with
// Python's filelock.UnixFileLock, which huggingface_hub uses for the same paths.
class FileLock {
 public:
  FileLock() = default;
  ~FileLock();
  FileLock(FileLock&& o) noexcept;
  FileLock& operator=(FileLock&& o) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  // Creates the lock file's directory if needed and blocks until the lock is held; logs once if
  // another process holds it for more than 10 s. Errors: cannot create/open the lock file.
  static StatusOr<FileLock> Acquire(const std::string& path);

 private:
  int fd_ = -1;
};

// Paths and metadata of one model repository in the cache. Cheap to copy; no I/O until a method
// is called. Methods are thread-safe (they touch disk only through atomic renames).
class RepoCache {
 public:
  // `repo_id` must already be valid (ValidateRepoId).
  RepoCache(std::string cache_dir, std::string repo_id);

  const std::string& repo_dir() const { return repo_dir_; }
  std::string BlobPath(const std::string& etag) const;
  std::string IncompletePath(const std::string& etag) const;
  std::string LockPath(const std::string& etag) const;
  std::string SnapshotDir(const std::string& commit) const;
  std::string SnapshotPath(const std::string& commit, const std::string& file) const;

  // The commit a revision points to: the revision itself for a 40-hex commit, else refs/<rev>.
  // NOT_FOUND when the cache has no such ref.
  StatusOr<std::string> ResolveRevision(const std::string& revision) const;
  // Records revision -> commit (atomic write; no-op for a commit or an unchanged ref).
  Status WriteRef(const std::string& revision, const std::string& commit) const;
  // Points snapshots/<commit>/<file> at blobs/<etag> with a relative symlink (atomic replace).
  Status LinkSnapshotFile(const std::string& commit, const std::string& file,
                          const std::string& etag) const;
  // .no_exist markers: the Hub said this file does not exist at this commit.
  Status MarkNoExist(const std::string& commit, const std::string& file) const;
  bool HasNoExist(const std::string& commit, const std::string& file) const;

 private:
  std::string cache_dir_;
  std::string folder_;    // models--owner--name
  std::string repo_dir_;  // cache_dir_/folder_
};

// True if `path` exists (following symlinks).
bool PathExists(const std::string& path);
// True if `path` is a directory (following symlinks).
bool IsDirectory(const std::string& path);
// Size of the file at `path` (following symlinks); NOT_FOUND if absent.
StatusOr<uint64_t> FileSize(const std::string& path);

}  // namespace haloguard::hub
