// Hugging Face hub cache layout: paths, refs, snapshot symlinks, .no_exist markers, flock locks.
#include "hub/cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "core/clock.h"
#include "core/log.h"
#include "core/mapped_file.h"
#include "hub/settings.h"

namespace haloguard::hub {
namespace {

Status ErrnoError(const std::string& what, const std::string& path, int err) {
  std::string msg = "hub cache: " + what + " " + path + "; " + std::strerror(err);
  if (err == EACCES || err == EPERM || err == EROFS) {
    return PermissionDeniedError(msg + " (hint: set HF_HUB_CACHE or --cache-dir to a writable "
                                       "directory)");
  }
  return InternalError(msg);
}

std::string Parent(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

// A process-unique suffix for temporary names next to their destination.
std::string TempSuffix() {
  static std::atomic<uint64_t> counter{0};
  return ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

// Like core's WriteFileAtomic, but with a per-call temporary name: several threads of one process
// may record the same ref or marker at once.
Status WriteSmallFileAtomic(const std::string& path, std::string_view data) {
  const std::string tmp = path + TempSuffix();
  HG_RETURN_IF_ERROR(WriteFileAtomic(tmp, data));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError("cannot rename to", path, err);
  }
  return OkStatus();
}

}  // namespace

Status MakeDirs(const std::string& path) {
  if (path.empty() || IsDirectory(path)) return OkStatus();
  HG_RETURN_IF_ERROR(MakeDirs(Parent(path)));
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoError("cannot create directory", path, errno);
  }
  return OkStatus();
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

StatusOr<uint64_t> FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return NotFoundError("hub cache: no file " + path);
  return static_cast<uint64_t>(st.st_size);
}

// ---- FileLock ----

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

FileLock::FileLock(FileLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }

FileLock& FileLock::operator=(FileLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

StatusOr<FileLock> FileLock::Acquire(const std::string& path) {
  HG_RETURN_IF_ERROR(MakeDirs(Parent(path)));
  FileLock lock;
  lock.fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock.fd_ < 0) return ErrnoError("cannot open lock file", path, errno);
  // Polling with LOCK_NB (not a blocking flock) lets us tell the user who is waiting on what.
  const auto start = Clock::now();
  bool logged = false;
  while (::flock(lock.fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) return ErrnoError("cannot lock", path, errno);
    if (!logged && SecondsSince(start) > 10) {
      HG_LOG(WARNING) << "waiting for " << path << " (another download of this file is running)";
      logged = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return lock;
}

// ---- RepoCache ----

RepoCache::RepoCache(std::string cache_dir, std::string repo_id)
    : cache_dir_(std::move(cache_dir)),
      folder_(RepoFolderName(repo_id)),
      repo_dir_(cache_dir_ + "/" + folder_) {}

std::string RepoCache::BlobPath(const std::string& etag) const {
  return repo_dir_ + "/blobs/" + etag;
}

std::string RepoCache::IncompletePath(const std::string& etag) const {
  return BlobPath(etag) + ".incomplete";
}

std::string RepoCache::LockPath(const std::string& etag) const {
  return cache_dir_ + "/.locks/" + folder_ + "/" + etag + ".lock";
}

std::string RepoCache::SnapshotDir(const std::string& commit) const {
  return repo_dir_ + "/snapshots/" + commit;
}

std::string RepoCache::SnapshotPath(const std::string& commit, const std::string& file) const {
  return SnapshotDir(commit) + "/" + file;
}

StatusOr<std::string> RepoCache::ResolveRevision(const std::string& revision) const {
  if (IsCommitHash(revision)) return revision;
  const std::string ref = repo_dir_ + "/refs/" + revision;
  StatusOr<std::string> text = ReadFileToString(ref, 4096);
  if (!text.ok()) {
    return NotFoundError("hub cache: no ref '" + revision + "' in " + repo_dir_ + "/refs");
  }
  std::string commit = *text;
  while (!commit.empty() && (commit.back() == '\n' || commit.back() == '\r')) commit.pop_back();
  if (!IsCommitHash(commit)) {
    return DataLossError("hub cache: " + ref + ": expected a 40-hex commit, got '" + commit + "'");
  }
  return commit;
}

Status RepoCache::WriteRef(const std::string& revision, const std::string& commit) const {
  if (revision == commit) return OkStatus();
  const std::string ref = repo_dir_ + "/refs/" + revision;
  StatusOr<std::string> old = ReadFileToString(ref, 4096);
  if (old.ok() && *old == commit) return OkStatus();  // a read-only cache still works
  HG_RETURN_IF_ERROR(MakeDirs(Parent(ref)));
  return WriteSmallFileAtomic(ref, commit);
}

Status RepoCache::LinkSnapshotFile(const std::string& commit, const std::string& file,
                                   const std::string& etag) const {
  const std::string dst = SnapshotPath(commit, file);
  HG_RETURN_IF_ERROR(MakeDirs(SnapshotDir(commit)));
  // snapshots/<commit>/<file> -> ../../blobs/<etag>: relative, so the cache can be moved.
  const std::string target = "../../blobs/" + etag;
  const std::string tmp = dst + TempSuffix();
  if (::symlink(target.c_str(), tmp.c_str()) != 0) {
    return ErrnoError("cannot create symlink", tmp, errno);
  }
  if (::rename(tmp.c_str(), dst.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError("cannot rename symlink to", dst, err);
  }
  return OkStatus();
}

Status RepoCache::MarkNoExist(const std::string& commit, const std::string& file) const {
  const std::string path = repo_dir_ + "/.no_exist/" + commit + "/" + file;
  HG_RETURN_IF_ERROR(MakeDirs(Parent(path)));
  return WriteSmallFileAtomic(path, "");
}

bool RepoCache::HasNoExist(const std::string& commit, const std::string& file) const {
  return PathExists(repo_dir_ + "/.no_exist/" + commit + "/" + file);
}

}  // namespace haloguard::hub
