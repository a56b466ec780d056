// hg_fake_serve: `haloguard serve` with the deterministic FakeClassifier instead of a model, for
// end-to-end tests (curl, the OpenAI Node SDK, signals) and load tests. Same server, same
// ServeUntilSignal; prints "LISTENING <port>" on stdout once the socket listens. Test tool only.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "server/serve_main.h"
#include "server/testing/fake_classifier.h"

namespace {

using haloguard::server::ServeRun;
using haloguard::server::testing::FakeClassifier;
using haloguard::server::testing::FakeClassifierOptions;

struct Flags {
  ServeRun run;
  FakeClassifierOptions fake;
  int64_t load_delay_ms = 0;
};

// "--name=value" or "--name value"; returns false on an unknown flag.
bool Apply(Flags& f, const std::string& name, const std::string& v) {
  auto& o = f.run.server;
  const auto num = [&v] { return std::strtoll(v.c_str(), nullptr, 10); };
  if (name == "port")
    o.http.port = static_cast<int>(num());
  else if (name == "host")
    o.http.host = v;
  else if (name == "max-batch")
    o.scheduler.max_batch = static_cast<int>(num());
  else if (name == "batch-timeout-ms")
    o.scheduler.batch_timeout_ms = num();
  else if (name == "queue-size")
    o.scheduler.queue_size = static_cast<int>(num());
  else if (name == "concurrency")
    o.scheduler.concurrency = static_cast<int>(num());
  else if (name == "max-connections")
    o.http.max_connections = static_cast<int>(num());
  else if (name == "max-body-bytes")
    o.http.limits.max_body_bytes = static_cast<size_t>(num());
  else if (name == "request-timeout-ms")
    o.router.request_timeout_ms = num();
  else if (name == "client-timeout-ms")
    o.http.client_timeout_ms = num();
  else if (name == "api-key")
    o.api_keys.push_back(v);
  else if (name == "open-health")
    o.router.open_health = v != "false";
  else if (name == "access-log")
    o.access_log = v;
  else if (name == "log-prompts")
    o.router.log_prompts = v != "false";
  else if (name == "drain-timeout-ms")
    f.run.drain_timeout = std::chrono::milliseconds(num());
  else if (name == "batch-cost-ms")
    f.fake.batch_cost_ms = std::strtod(v.c_str(), nullptr);
  else if (name == "item-cost-ms")
    f.fake.item_cost_ms = std::strtod(v.c_str(), nullptr);
  else if (name == "load-delay-ms")
    f.load_delay_ms = num();
  else
    return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  f.run.server.http.port = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0)
      return std::fprintf(stderr, "unexpected argument %s\n", argv[i]), 2;
    std::string name = arg.substr(2), value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    }
    if (!Apply(f, name, value)) return std::fprintf(stderr, "unknown flag --%s\n", name.c_str()), 2;
  }
  f.run.on_listening = [](int port) {
    std::printf("LISTENING %d\n", port);
    std::fflush(stdout);
  };
  return haloguard::server::ServeUntilSignal(
      f.run, [&f]() -> haloguard::StatusOr<std::unique_ptr<haloguard::guard::Classifier>> {
        if (f.load_delay_ms > 0)
          std::this_thread::sleep_for(std::chrono::milliseconds(f.load_delay_ms));
        return std::unique_ptr<haloguard::guard::Classifier>(
            std::make_unique<FakeClassifier>(f.fake));
      });
}
