// TempDir: a fresh directory under /tmp, removed with its contents on destruction. Tests only.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "core/check.h"

namespace haloguard::hub::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/hg_hub_test_XXXXXX";
    HG_CHECK(::mkdtemp(tmpl) != nullptr) << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace haloguard::hub::testing
