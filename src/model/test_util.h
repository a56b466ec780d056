// Test helpers for model/: temporary directories, tiny configs and random checkpoints.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "core/mapped_file.h"
#include "model/random_checkpoint.h"

namespace haloguard::model::testing {

// A fresh directory under the gtest temp dir.
inline std::string MakeTempDir(const std::string& tag) {
  std::string tmpl = ::testing::TempDir() + "/hg_" + tag + "_XXXXXX";
  char* p = ::mkdtemp(tmpl.data());
  HG_CHECK(p != nullptr) << "mkdtemp failed";
  return tmpl;
}

inline std::string ReadTestFile(const std::string& relative) {
  auto s = ReadFileToString(std::string(HG_SOURCE_DIR) + "/" + relative);
  HG_CHECK(s.ok()) << s.status().ToString();
  return *s;
}

// Writes a random checkpoint of tests/data/configs/<name>.json and returns its directory.
inline std::string MakeCheckpoint(const std::string& name, uint64_t seed = 1,
                                  DType dtype = DType::kBF16) {
  const std::string dir = MakeTempDir(name);
  RandomCheckpointOptions opt;
  opt.seed = seed;
  opt.dtype = dtype;
  Status s = WriteRandomCheckpoint(ReadTestFile("tests/data/configs/" + name + ".json"), dir, opt);
  HG_CHECK(s.ok()) << s.ToString();
  return dir;
}

}  // namespace haloguard::model::testing
