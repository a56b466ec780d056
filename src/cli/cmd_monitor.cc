// `haloguard monitor FILE...`: the monitor lane from the command line (docs/MONITOR.md). Each file
// becomes a job (raw text, or a request body with --json) on an in-process queue over the model,
// or on a Redis queue (--queue; then no model is loaded here); prints one JSON line per file.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/command.h"
#include "cli/flags.h"
#include "cli/guard_flags.h"
#include "guard/guard.h"
#include "monitor/local_queue.h"
#include "monitor/monitor_files.h"
#include "monitor/redis_queue.h"

namespace haloguard::cli {
namespace {

struct MonitorFlags {
  GuardFlags model;
  monitor::MonitorFilesOptions files;
  monitor::RedisQueueOptions redis;
  std::string output, priority = "normal";
  int64_t concurrency = 1, windows_per_call = 4;
  bool fail_on_unsafe = false;
};

void Declare(FlagSet& f, MonitorFlags& m) {
  f.String("queue", &m.redis.url, "submit to this Redis queue instead (redis://HOST:PORT[/DB])");
  f.String("queue-prefix", &m.redis.prefix, "Redis key prefix (must match the workers')");
  f.Bool("json", &m.files.json_requests,
         "each FILE is a request body {\"document\"|\"messages\", ...}, not raw text");
  f.Bool("stop-on-unsafe", &m.files.stop_on_unsafe, "stop a document at its first unsafe window");
  f.String("priority", &m.priority, "low | normal | high");
  f.Int("max-file-bytes", &m.files.max_file_bytes, "largest FILE accepted");
  f.Int("concurrency", &m.concurrency, "jobs run at once (in-process) / kept in flight");
  f.Int("windows-per-call", &m.windows_per_call, "windows per scoring call (in-process)");
  f.String("output", &m.output, "write the JSON lines here (default stdout)");
  f.Bool("fail-on-unsafe", &m.fail_on_unsafe, "exit 1 when any file is unsafe");
  AddGuardFlags(f, &m.model);  // --model: not with --queue
}

// The queue the files go to: Redis when --queue is given, else in-process over the model.
StatusOr<std::unique_ptr<monitor::JobQueue>> OpenQueue(
    const MonitorFlags& m, std::unique_ptr<guard::Classifier>& classifier) {
  if (!m.redis.url.empty()) {
    HG_ASSIGN_OR_RETURN(std::unique_ptr<monitor::RedisQueue> q,
                        monitor::RedisQueue::Connect(m.redis));
    return std::unique_ptr<monitor::JobQueue>(std::move(q));
  }
  HG_ASSIGN_OR_RETURN(const guard::GuardOptions options, GuardOptionsFrom(m.model));
  HG_ASSIGN_OR_RETURN(classifier, guard::LoadClassifier(options));
  monitor::LocalQueueOptions o;
  o.workers = SaturateInt(m.concurrency);
  o.run.windows_per_call = SaturateInt(m.windows_per_call);
  o.max_pending_bytes = std::max<int64_t>(o.max_pending_bytes, 2 * m.files.max_file_bytes);
  HG_RETURN_IF_ERROR(monitor::ValidateLocalQueueOptions(o));
  return std::unique_ptr<monitor::JobQueue>(new monitor::LocalQueue(classifier.get(), o));
}

int RunMonitor(int argc, char** argv) {
  MonitorFlags m;
  FlagSet flags("monitor", "--model DIR | --queue redis://HOST:PORT  FILE... ('-' = stdin)");
  Declare(flags, m);
  int code = 0;
  if (!ParseOrExit(flags, argc, argv, &code)) return code;
  const std::optional<monitor::Priority> priority = monitor::ParsePriority(m.priority);
  if (flags.positional().empty() || m.model.guard.model.empty() == m.redis.url.empty() ||
      !priority || m.files.max_file_bytes < 1 || m.concurrency < 1) {
    std::fprintf(stderr,
                 "haloguard monitor: need FILE arguments, exactly one of --model or --queue, "
                 "--priority low|normal|high, --max-file-bytes >= 1 and --concurrency >= 1\n%s",
                 flags.UsageHint().c_str());
    return 2;
  }
  m.files.priority = *priority;
  m.files.max_in_flight = std::max(2, 2 * std::min(SaturateInt(m.concurrency), 1 << 20));
  std::unique_ptr<guard::Classifier> classifier;  // outlives the queue that uses it
  StatusOr<std::unique_ptr<monitor::JobQueue>> queue = OpenQueue(m, classifier);
  if (!queue.ok()) {
    std::fprintf(stderr, "haloguard monitor: %s\n", queue.status().message().c_str());
    return queue.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  std::ofstream file;
  if (!m.output.empty()) {
    file.open(m.output);
    if (!file) {
      std::fprintf(stderr, "haloguard monitor: --output %s: cannot open for writing\n",
                   m.output.c_str());
      return 2;
    }
  }
  std::ostream& out = m.output.empty() ? std::cout : file;
  const monitor::MonitorFilesSummary s =
      monitor::MonitorFiles(**queue, flags.positional(), m.files, out, std::cin);
  std::fprintf(stderr, "monitor: %d file(s): %d done (%d unsafe), %d failed\n", s.files, s.done,
               s.unsafe, s.failed);
  if (s.failed > 0) return 3;
  return m.fail_on_unsafe && s.unsafe > 0 ? 1 : 0;
}

}  // namespace

HG_REGISTER_COMMAND("monitor", "monitor lane: windowed verdicts for long documents and histories",
                    RunMonitor);

}  // namespace haloguard::cli
