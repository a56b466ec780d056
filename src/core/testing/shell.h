// Test helpers for tests that run commands or write input files: a shell runner that captures
// stdout, a temp-file writer, and a JSON-lines splitter. Tests only (library hg_core_testing).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace haloguard::test_util {

struct ShellResult {
  int code = -1;    // exit status; -1 if the command could not start or did not exit normally
  std::string out;  // everything it wrote to stdout (redirect stderr in `command` to keep it)
};

// Runs `command` with /bin/sh (popen) and waits for it.
ShellResult RunShell(const std::string& command);

// Writes `content` (bytes as given) to a file named `name` in the test's temp directory
// (::testing::TempDir()) and returns its path. Overwrites an existing file.
std::string WriteTempFile(const std::string& name, const std::string& content);

// One parsed JSON value per non-empty line of `text`. Throws nlohmann::json::parse_error (which
// fails the test) on a line that is not JSON.
std::vector<nlohmann::json> ParseJsonLines(const std::string& text);

}  // namespace haloguard::test_util
