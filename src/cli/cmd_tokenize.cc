// `haloguard tokenize`: JSON lines in, JSON lines out. Encode: each stdin line is a JSON string,
// each output line {"ids": [...], "tokens": [...]} (plus "offsets" with --offsets). --decode: each
// line is a JSON array of ids (or {"ids": [...]}), each output line the decoded JSON string.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/flags.h"
#include "tokenizer/tokenizer.h"

namespace haloguard::cli {
namespace {

using nlohmann::json;
using tokenizer::Tokenizer;

struct Options {
  std::string tokenizer_path;
  std::string config_path;
  bool decode = false;
  bool skip_special_tokens = false;
  bool offsets = false;
};

// A directory (tokenizer.json + optional tokenizer_config.json) or a tokenizer.json file.
StatusOr<Tokenizer> LoadTokenizer(const Options& o) {
  if (o.tokenizer_path.empty()) {
    return InvalidArgumentError(
        "--tokenizer: expected a model directory or tokenizer.json path, got nothing");
  }
  std::FILE* probe = std::fopen((o.tokenizer_path + "/tokenizer.json").c_str(), "rb");
  if (probe) {
    std::fclose(probe);
    if (o.config_path.empty()) return Tokenizer::LoadFromDir(o.tokenizer_path);
    return Tokenizer::Load(o.tokenizer_path + "/tokenizer.json", o.config_path);
  }
  return Tokenizer::Load(o.tokenizer_path, o.config_path);
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Parses one line; nlohmann's message says what was wrong (ill-formed UTF-8, a lone surrogate
// escape, a syntax error) and where.
StatusOr<json> ParseLine(const std::string& line) {
  try {
    return json::parse(line);
  } catch (const json::exception& e) {
    std::string what = e.what();
    const size_t tail = what.find("] ");
    return InvalidArgumentError("malformed JSON line: " +
                                (tail == std::string::npos ? what : what.substr(tail + 2)));
  }
}

// One encode line; returns the output object or an error message.
StatusOr<json> EncodeLine(const Tokenizer& tok, const Options& o, const std::string& line) {
  HG_ASSIGN_OR_RETURN(const json in, ParseLine(line));
  if (!in.is_string())
    return InvalidArgumentError("expected a JSON string, got " + Dump(in).substr(0, 200));
  std::vector<std::pair<size_t, size_t>> spans;
  HG_ASSIGN_OR_RETURN(
      std::vector<int32_t> ids,
      tok.EncodeWithOffsets(in.get_ref<const std::string&>(), o.offsets ? &spans : nullptr));
  json tokens = json::array();
  for (int32_t id : ids) tokens.push_back(tok.IdToToken(id));
  json out = {{"ids", ids}, {"tokens", std::move(tokens)}};
  if (o.offsets) out["offsets"] = spans;
  return out;
}

StatusOr<json> DecodeLine(const Tokenizer& tok, const Options& o, const std::string& line) {
  HG_ASSIGN_OR_RETURN(json in, ParseLine(line));
  if (in.is_object() && in.contains("ids")) in = in["ids"];
  std::vector<int32_t> ids;
  bool ok = in.is_array();
  for (const json& v : ok ? in : json::array()) {
    ok = ok && v.is_number_integer() && v.get<int64_t>() >= INT32_MIN &&
         v.get<int64_t>() <= INT32_MAX;
    if (ok) ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
  }
  if (!ok) {
    return InvalidArgumentError(
        "expected a JSON array of 32-bit integer ids or {\"ids\": [...]}, got " +
        Dump(in).substr(0, 200));
  }
  return json(tok.Decode(ids, o.skip_special_tokens));
}

int RunTokenize(int argc, char** argv) {
  Options o;
  FlagSet flags(
      "tokenize",
      "haloguard tokenize --tokenizer DIR|tokenizer.json [--decode] < lines.jsonl\n"
      "  encode: one JSON string per line -> {\"ids\": [...], \"tokens\": [...]} per line\n"
      "  --decode: one JSON array of ids per line -> the decoded JSON string per line\n"
      "  Blank lines are skipped; a bad line prints {\"error\": \"line N: ...\"} and the\n"
      "  command goes on, exiting 1 at the end.",
      /*use_env=*/true);
  flags.RefusePositional();
  flags.String("tokenizer", &o.tokenizer_path, "model directory or tokenizer.json path");
  flags.String("config", &o.config_path,
               "tokenizer_config.json (default: beside tokenizer.json in DIR)");
  flags.Bool("decode", &o.decode, "decode id arrays instead of encoding strings");
  flags.Bool("skip-special-tokens", &o.skip_special_tokens, "--decode: drop special tokens");
  flags.Bool("offsets", &o.offsets, "encode: add \"offsets\", each token's [begin, end) byte span");
  int exit_code = 0;
  if (!ParseOrExit(flags, argc, argv, &exit_code)) return exit_code;
  auto tok = LoadTokenizer(o);
  if (!tok.ok()) return ReportError("tokenize", tok.status(), 1);
  std::ios::sync_with_stdio(false);
  std::string line;
  int64_t line_no = 0;
  bool failed = false;
  while (std::getline(std::cin, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    StatusOr<json> out = o.decode ? DecodeLine(*tok, o, line) : EncodeLine(*tok, o, line);
    if (!out.ok()) {
      failed = true;
      const std::string msg = "line " + std::to_string(line_no) + ": " + out.status().message();
      std::cerr << "haloguard tokenize: " << msg << "\n";
      out = json{{"error", msg}};
    }
    std::cout << Dump(*out) << "\n";
  }
  std::cout.flush();
  return failed ? 1 : 0;
}

}  // namespace

HG_REGISTER_COMMAND("tokenize", "encode/decode JSON lines with a tokenizer.json", RunTokenize);

}  // namespace haloguard::cli
