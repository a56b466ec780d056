// `haloguard` entry point: dispatches argv[1] to a registered subcommand (see command.h).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>

#include "cli/command.h"

namespace haloguard::cli {
namespace {
std::map<std::string, Command>& Registry() {
  static std::map<std::string, Command> r;
  return r;
}
}  // namespace

bool RegisterCommand(const Command& c) {
  Registry()[c.name] = c;
  return true;
}

std::vector<Command> Commands() {
  std::vector<Command> out;
  for (auto& [name, c] : Registry()) out.push_back(c);
  return out;
}

int ReportError(const char* command, const Status& s, int exit_code) {
  std::fprintf(stderr, "haloguard %s: %s\n", command, s.ToString().c_str());
  return exit_code;
}

}  // namespace haloguard::cli

namespace {
void PrintUsage(FILE* f) {
  std::fprintf(f, "usage: haloguard COMMAND [flags]   (haloguard COMMAND --help for details)\n\n");
  std::fprintf(f, "commands:\n");
  for (const auto& c : haloguard::cli::Commands()) std::fprintf(f, "  %-16s %s\n", c.name, c.summary);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help") ||
      !std::strcmp(argv[1], "help")) {
    PrintUsage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (const auto& c : haloguard::cli::Commands()) {
    if (std::strcmp(c.name, argv[1]) == 0) return c.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "haloguard: unknown command '%s'\n\n", argv[1]);
  PrintUsage(stderr);
  return 2;
}
