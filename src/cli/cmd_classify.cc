// `haloguard classify`: classifies one text (argument) or a JSONL batch (--input) and prints one
// JSON result per input, with the model card's /v1/classify fields.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/flags.h"
#include "cli/guard_flags.h"
#include "core/clock.h"
#include "guard/guard.h"
#include "hub/hub.h"

namespace haloguard::cli {
namespace {

struct Item {
  int64_t line = 0;
  nlohmann::json id;          // echoed back when the input line has one
  StatusOr<std::string> text = std::string();
};

// The text of the last user message of an OpenAI-style messages array (string content, or an
// array of {"type": "text", "text": ...} parts joined with newlines).
StatusOr<std::string> LastUserMessage(const nlohmann::json& messages) {
  if (!messages.is_array()) return InvalidArgumentError("\"messages\": expected an array");
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (!it->is_object() || it->value("role", nlohmann::json()) != "user") continue;
    const nlohmann::json& c = (*it)["content"];
    if (c.is_string()) return c.get<std::string>();
    if (!c.is_array()) return InvalidArgumentError("\"messages\": user content must be a string or an array of parts");
    std::string text;
    for (const nlohmann::json& part : c) {
      if (!part.is_object() || !part.contains("text") || !part["text"].is_string()) continue;
      text += (text.empty() ? "" : "\n") + part["text"].get<std::string>();
    }
    return text;
  }
  return InvalidArgumentError("\"messages\": no message with role \"user\"");
}

// The text of one JSONL object: "text" or "query" (a string), or "messages".
StatusOr<std::string> ExtractText(const nlohmann::json& j) {
  for (const char* key : {"text", "query"}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_string()) return InvalidArgumentError(std::string("\"") + key + "\": expected a string");
    return j[key].get<std::string>();
  }
  if (j.contains("messages")) return LastUserMessage(j["messages"]);
  return InvalidArgumentError("expected a \"text\", \"query\" or \"messages\" field");
}

// One JSONL input line: {"text"|"query": "..."} or {"messages": [...]} (last user message).
Item ParseLine(const std::string& line, int64_t number) {
  Item it;
  it.line = number;
  const std::string where = "line " + std::to_string(number);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based: the byte at which the syntax went wrong.
    it.text = InvalidArgumentError(where + ": JSON syntax error at byte " + std::to_string(e.byte) +
                                   "; expected one JSON object per line");
    return it;
  }
  if (!j.is_object()) {
    it.text = InvalidArgumentError(where + ": expected a JSON object, got " + j.type_name());
    return it;
  }
  if (j.contains("id")) it.id = j["id"];
  it.text = ExtractText(j);
  if (!it.text.ok()) it.text = it.text.status().WithPrefix("line " + std::to_string(number));
  return it;
}

void PrintProgress(int64_t done, int64_t total, Clock::time_point t0) {
  const double s = SecondsSince(t0);
  std::fprintf(stderr, "\rclassify: %lld/%lld inputs, %.1f/s", static_cast<long long>(done),
               static_cast<long long>(total), s > 0 ? done / s : 0.0);
  std::fflush(stderr);
}

int RunBatch(guard::Classifier& c, std::istream& in, std::ostream& out, int batch, bool debug,
             bool generate) {
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  const bool progress = lines.size() > 16;
  const auto t0 = Clock::now();
  int failures = 0;
  for (size_t start = 0; start < lines.size(); start += batch) {
    std::vector<Item> items;
    std::vector<guard::ClassifyRequest> reqs;
    std::vector<size_t> req_of;
    for (size_t i = start; i < std::min(lines.size(), start + batch); ++i) {
      items.push_back(ParseLine(lines[i], static_cast<int64_t>(i + 1)));
      req_of.push_back(reqs.size());
      if (items.back().text.ok()) reqs.push_back({*items.back().text, generate});
    }
    auto results = c.ClassifyBatch(reqs);
    for (size_t k = 0; k < items.size(); ++k) {
      const Item& it = items[k];
      Status err = it.text.ok() ? results[req_of[k]].status() : it.text.status();
      nlohmann::ordered_json o;
      if (!it.id.is_null()) o["id"] = it.id;
      if (err.ok()) {
        o.update(nlohmann::ordered_json::parse(guard::GuardResultToJson(*results[req_of[k]], debug)));
      } else {
        ++failures;
        o["line"] = it.line;
        o["error"] = {{"message", err.message()}, {"code", std::string(StatusCodeName(err.code()))}};
      }
      out << o.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
    out.flush();
    if (progress) PrintProgress(static_cast<int64_t>(std::min(lines.size(), start + batch)),
                                static_cast<int64_t>(lines.size()), t0);
  }
  if (progress) std::fprintf(stderr, "\n");
  return failures == 0 ? 0 : 3;
}

int RunClassify(int argc, char** argv) {
  GuardFlags gf;
  gf.guard.model = hub::kDefaultRepoId;
  std::string input, output;
  bool generate = false, no_debug = false;
  FlagSet flags("classify", "--model DIR|REPO [TEXT | --input FILE.jsonl] [flags]");
  AddGuardFlags(flags, &gf);
  flags.String("input", &input, "JSONL input: one {\"text\"|\"query\"|\"messages\", \"id\"?} per line ('-' = stdin)");
  flags.String("output", &output, "write JSONL results here (default stdout)");
  flags.Bool("generate", &generate, "also run the card's greedy decode (32 tokens) for raw_response");
  flags.Bool("no-debug", &no_debug, "omit the _debug object");
  int rc = 0;
  if (!ParseOrExit(flags, argc, argv, &rc)) return rc;
  if (input.empty() == flags.positional().empty()) {
    std::fprintf(stderr, "haloguard classify: expected a TEXT argument or --input FILE (not both)\n%s",
                 flags.UsageHint().c_str());
    return 2;
  }
  const StatusOr<guard::GuardOptions> options = GuardOptionsFrom(gf);
  if (!options.ok()) return ReportError("classify", options.status(), 2);
  const guard::GuardOptions& g = *options;
  auto c = guard::LoadClassifier(g);
  if (!c.ok()) return ReportError("classify", c.status(), 1);
  std::ofstream file;
  if (!output.empty()) file.open(output);
  std::ostream& out = output.empty() ? std::cout : file;
  if (input.empty()) {
    std::string text;
    for (size_t i = 0; i < flags.positional().size(); ++i) text += (i ? " " : "") + flags.positional()[i];
    guard::ClassifyRequest req{text, generate};
    auto r = (*c)->ClassifyBatch(std::span<const guard::ClassifyRequest>(&req, 1));
    if (!r[0].ok()) {
      std::fprintf(stderr, "haloguard classify: %s\n", r[0].status().ToString().c_str());
      return 1;
    }
    out << guard::GuardResultToJson(*r[0], !no_debug) << "\n";
    return 0;
  }
  if (input == "-") return RunBatch(**c, std::cin, out, g.max_batch, !no_debug, generate);
  std::ifstream in(input);
  if (!in) {
    std::fprintf(stderr, "haloguard classify: cannot open --input '%s'\n", input.c_str());
    return 1;
  }
  return RunBatch(**c, in, out, g.max_batch, !no_debug, generate);
}

}  // namespace
HG_REGISTER_COMMAND("classify", "classify prompts with the guard (one text or a JSONL batch)", RunClassify);
}  // namespace haloguard::cli
