// FlagSet implementation.
#include "cli/flags.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace haloguard::cli {
namespace {

Status ParseInt(const std::string& name, const std::string& v, int64_t* out) {
  errno = 0;
  char* end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno == ERANGE) {
    return InvalidArgumentError("--" + name + ": expected an integer, got '" + v + "'");
  }
  *out = x;
  return OkStatus();
}

Status ParseDouble(const std::string& name, const std::string& v, double* out) {
  errno = 0;
  char* end = nullptr;
  double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || errno == ERANGE) {
    return InvalidArgumentError("--" + name + ": expected a number, got '" + v + "'");
  }
  *out = x;
  return OkStatus();
}

Status ParseBool(const std::string& name, const std::string& v, bool* out) {
  if (v == "1" || v == "true" || v == "yes" || v == "on") *out = true;
  else if (v == "0" || v == "false" || v == "no" || v == "off") *out = false;
  else return InvalidArgumentError("--" + name + ": expected true/false, got '" + v + "'");
  return OkStatus();
}

std::string EnvName(const std::string& flag) {
  std::string s = "HALOGUARD_";
  for (char c : flag) s += (c == '-') ? '_' : static_cast<char>(std::toupper(c));
  return s;
}

}  // namespace

FlagSet::FlagSet(std::string command, std::string usage, bool use_env)
    : command_(std::move(command)), usage_(std::move(usage)), use_env_(use_env) {}

void FlagSet::Add(Flag f) { flags_.push_back(std::move(f)); }

void FlagSet::String(const std::string& name, std::string* dst, const std::string& help) {
  Add({name, help, *dst, false, [dst](const std::string& v) { *dst = v; return OkStatus(); }});
}

void FlagSet::Int(const std::string& name, int64_t* dst, const std::string& help) {
  Add({name, help, std::to_string(*dst), false,
       [name, dst](const std::string& v) { return ParseInt(name, v, dst); }});
}

void FlagSet::Double(const std::string& name, double* dst, const std::string& help) {
  std::ostringstream os;
  os << *dst;
  Add({name, help, os.str(), false,
       [name, dst](const std::string& v) { return ParseDouble(name, v, dst); }});
}

void FlagSet::Bool(const std::string& name, bool* dst, const std::string& help) {
  Add({name, help, *dst ? "true" : "false", true,
       [name, dst](const std::string& v) { return ParseBool(name, v, dst); }});
}

void FlagSet::List(const std::string& name, std::vector<std::string>* dst,
                   const std::string& help) {
  Add({name, help, "", false, [dst](const std::string& v) {
         dst->push_back(v);
         return OkStatus();
       }});
}

FlagSet::Flag* FlagSet::Find(const std::string& name) {
  for (Flag& f : flags_)
    if (f.name == name) return &f;
  return nullptr;
}

Status FlagSet::ApplyEnv() {
  for (Flag& f : flags_) {
    const char* v = std::getenv(EnvName(f.name).c_str());
    if (v == nullptr) continue;
    Status s = f.set(v);
    if (!s.ok()) return s.WithPrefix("environment variable " + EnvName(f.name));
  }
  return OkStatus();
}

Status FlagSet::Parse(int argc, char** argv) {
  if (use_env_) HG_RETURN_IF_ERROR(ApplyEnv());
  bool only_positional = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (only_positional || arg.size() < 2 || arg[0] != '-' ) {
      positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      help_requested_ = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      return InvalidArgumentError("unknown option '" + arg + "'; expected --name");
    }
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    Flag* f = Find(name);
    if (f == nullptr) {
      return InvalidArgumentError("unknown flag --" + name + " for '" + command_ + "'");
    }
    if (!has_value) {
      if (f->is_bool) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return InvalidArgumentError("flag --" + name + " expects a value");
      }
    }
    HG_RETURN_IF_ERROR(f->set(value));
  }
  if (refuse_positional_ && !positional_.empty()) {
    return InvalidArgumentError("unexpected argument '" + positional_[0] + "': '" + command_ +
                                "' takes flags only (--name value)");
  }
  return OkStatus();
}

std::string FlagSet::Help() const {
  std::ostringstream os;
  os << "usage: haloguard " << command_ << " " << usage_ << "\n";
  if (!flags_.empty()) os << "\nflags:\n";
  for (const Flag& f : flags_) {
    os << "  --" << f.name << (f.is_bool ? "" : " VALUE") << "\n      " << f.help;
    // A bool that is off by default needs no "(default: false)": the flag turns it on.
    const bool off_bool = f.is_bool && f.default_text == "false";
    if (!f.default_text.empty() && !off_bool) os << " (default: " << f.default_text << ")";
    if (use_env_) os << " [env " << EnvName(f.name) << "]";
    os << "\n";
  }
  return os.str();
}

std::string FlagSet::UsageHint() const {
  return "usage: haloguard " + command_ + " " + usage_ + "\n(run `haloguard " + command_ +
         " --help` for all flags)\n";
}

bool ParseOrExit(FlagSet& flags, int argc, char** argv, int* exit_code) {
  Status s = flags.Parse(argc, argv);
  if (flags.help_requested()) {
    std::fputs(flags.Help().c_str(), stdout);
    *exit_code = 0;
    return false;
  }
  if (!s.ok()) {
    std::fprintf(stderr, "haloguard %s: %s\n%s", flags.command().c_str(), s.message().c_str(),
                 flags.UsageHint().c_str());
    *exit_code = 2;
    return false;
  }
  return true;
}

}  // namespace haloguard::cli
