// Subcommand registry for the `haloguard` CLI. Each cmd_*.cc registers itself with
// HG_REGISTER_COMMAND; main.cc dispatches on argv[1]. All cli sources link into the executable.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace haloguard::cli {

// A subcommand: `run` receives argv with argv[0] == the command name; returns the exit code.
struct Command {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv);
};

// Adds a command (called from static initialisers). Returns true.
bool RegisterCommand(const Command& c);
// All registered commands, sorted by name.
std::vector<Command> Commands();

// Prints "haloguard COMMAND: <status>" to stderr and returns `exit_code`, for
// `if (!s.ok()) return ReportError("serve", s, 1);`.
int ReportError(const char* command, const Status& s, int exit_code);

}  // namespace haloguard::cli

#define HG_REGISTER_COMMAND(name, summary, fn) \
  static const bool hg_registered_##fn = ::haloguard::cli::RegisterCommand({name, summary, fn})
