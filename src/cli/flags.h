// FlagSet: declarative command-line flags for the CLI (--name value, --name=value, --bool).
// Each flag can also come from an environment variable HALOGUARD_<NAME> (dashes -> underscores),
// which the command line overrides. Declared once with default and help, so --help is generated.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"

namespace haloguard::cli {

class FlagSet {
 public:
  // `usage` is the one-line synopsis shown by --help; `use_env` enables HALOGUARD_* variables.
  FlagSet(std::string command, std::string usage, bool use_env = false);

  void String(const std::string& name, std::string* dst, const std::string& help);
  void Int(const std::string& name, int64_t* dst, const std::string& help);
  void Double(const std::string& name, double* dst, const std::string& help);
  void Bool(const std::string& name, bool* dst, const std::string& help);
  // Repeatable flag: every occurrence appends.
  void List(const std::string& name, std::vector<std::string>* dst, const std::string& help);

  // For commands that take flags only: Parse then refuses any positional argument (so a
  // forgotten flag name, e.g. `serve DIR` for `serve --model DIR`, is an error, not ignored).
  void RefusePositional() { refuse_positional_ = true; }

  // Parses argv[1..] (argv[0] is the command name). Non-flag arguments and everything after
  // "--" are positional. Errors: unknown flag, missing value, malformed number, a positional
  // argument after RefusePositional() (INVALID_ARGUMENT). Sets help_requested() for -h/--help.
  Status Parse(int argc, char** argv);

  const std::vector<std::string>& positional() const { return positional_; }
  bool help_requested() const { return help_requested_; }
  std::string Help() const;
  // The usage line and a pointer to --help: what an error prints instead of the whole Help().
  std::string UsageHint() const;
  const std::string& command() const { return command_; }

 private:
  struct Flag {
    std::string name;
    std::string help;
    std::string default_text;
    bool is_bool = false;
    std::function<Status(const std::string&)> set;
  };
  Flag* Find(const std::string& name);
  Status ApplyEnv();
  void Add(Flag f);

  std::string command_;
  std::string usage_;
  bool use_env_;
  std::vector<Flag> flags_;
  std::vector<std::string> positional_;
  bool help_requested_ = false;
  bool refuse_positional_ = false;
};

// Runs Parse; on --help prints Help() to stdout and returns 0 through `exit_code`; on error prints
// the one-line message and UsageHint() to stderr and sets exit_code 2. Returns true if the
// command should go on.
bool ParseOrExit(FlagSet& flags, int argc, char** argv, int* exit_code);

}  // namespace haloguard::cli
