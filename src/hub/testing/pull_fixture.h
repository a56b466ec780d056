// Shared fixture for the hub integration tests: a MockHub serving a tiny random checkpoint and a
// fresh cache directory per test. Tests only.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <memory>
#include <string>

#include "hub/hub.h"
#include "hub/testing/mock_hub.h"
#include "hub/testing/temp_dir.h"

namespace haloguard::hub::testing {

inline constexpr const char* kRepo = "astroware/HaloGuard-Tiny";
inline constexpr const char* kCommit = "0123456789abcdef0123456789abcdef01234567";

// config/tokenizer files (small, git-stored) and a 300 kB LFS model.safetensors.
inline MockRepo TinyRepo() {
  MockRepo repo;
  repo.commit = kCommit;
  repo.files["config.json"] = {R"({"model_type": "qwen3_5_text", "hidden_size": 16})", false};
  repo.files["tokenizer.json"] = {R"({"version": "1.0", "model": {"type": "BPE"}})", false};
  repo.files["tokenizer_config.json"] = {R"({"eos_token": "<|im_end|>"})", false};
  repo.files["generation_config.json"] = {R"({"do_sample": false})", false};
  repo.files["model.safetensors"] = {RandomBytes(300000, 7), true};
  return repo;
}

class PullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Loopback only: a proxy inherited from the environment must not see the mock's traffic.
    // (ctest runs each test in its own process, so this does not leak.)
    for (const char* v : {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                          "ALL_PROXY", "HF_TOKEN", "HF_HUB_OFFLINE", "HF_ENDPOINT"}) {
      ::unsetenv(v);
    }
    hub_ = std::make_unique<MockHub>();
    hub_->AddRepo(kRepo, TinyRepo());
  }

  // Options pointing at the mock and this test's cache, quiet, with fast retries.
  PullOptions Options() const {
    PullOptions o;
    o.endpoint = hub_->endpoint();
    o.cache_dir = tmp_ + "/cache";
    o.progress = false;
    o.retry_base_seconds = 0.01;
    o.max_retries = 3;
    return o;
  }
  std::string RepoDir() const { return tmp_ + "/cache/models--astroware--HaloGuard-Tiny"; }
  const std::string& File(const std::string& name) const { return files_.at(name).content; }

  TempDir dir_;
  const std::string tmp_ = dir_.path();
  std::unique_ptr<MockHub> hub_;
  const std::map<std::string, MockFile> files_ = TinyRepo().files;
};

}  // namespace haloguard::hub::testing
