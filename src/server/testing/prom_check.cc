// Prometheus text-format checker (see prom_check.h), a line-by-line parser of the 0.0.4 grammar.
#include "server/testing/prom_check.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>
#include <vector>

namespace haloguard::server::testing {
namespace {

// [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; labels additionally exclude ':'.
bool IsName(const std::string& s, bool allow_colon) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    const bool ok =
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (allow_colon && c == ':');
    if (!ok) return false;
  }
  return true;
}

struct Sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

bool ParseValue(const std::string& s, double* out) {
  if (s == "+Inf") {
    *out = INFINITY;
    return true;
  }
  if (s == "-Inf") {
    *out = -INFINITY;
    return true;
  }
  if (s == "NaN") {
    *out = NAN;
    return true;
  }
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}

// Parses `name{a="x",b="y"} value`; returns an error message or "".
std::string ParseSample(const std::string& line, Sample* s) {
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  s->name = line.substr(0, i);
  if (!IsName(s->name, true)) return "bad metric name '" + s->name + "'";
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      size_t eq = line.find('=', i);
      if (eq == std::string::npos) return "label without '='";
      std::string name = line.substr(i, eq - i);
      if (!IsName(name, false)) return "bad label name '" + name + "'";
      if (eq + 1 >= line.size() || line[eq + 1] != '"') return "label value must be quoted";
      std::string value;
      size_t j = eq + 2;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] != '\\') {
          value += line[j];
          continue;
        }
        if (++j >= line.size()) return "dangling escape";
        if (line[j] == 'n')
          value += '\n';
        else if (line[j] == '\\' || line[j] == '"')
          value += line[j];
        else
          return std::string("bad escape \\") + line[j];
      }
      if (j >= line.size()) return "unterminated label value";
      s->labels.emplace_back(name, value);
      i = j + 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return "unterminated label set";
    ++i;
  }
  if (i >= line.size() || line[i] != ' ') return "expected a space before the value";
  std::string rest = line.substr(i + 1);
  std::string value = rest.substr(0, rest.find(' '));
  if (!ParseValue(value, &s->value)) return "bad value '" + value + "'";
  return "";
}

std::string Family(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string sfx(suffix);
    if (name.size() > sfx.size() && name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0) {
      std::string base = name.substr(0, name.size() - sfx.size());
      auto it = types.find(base);
      if (it != types.end() && (it->second == "histogram" || it->second == "summary")) return base;
    }
  }
  return name;
}

struct HistState {
  double last_le = -INFINITY;
  double last_count = 0;
  bool has_inf = false, has_sum = false, has_count = false;
  double inf_count = 0, count = 0;
};

std::string LabelKey(const Sample& s, bool drop_le) {
  std::string k;
  for (const auto& [n, v] : s.labels)
    if (!(drop_le && n == "le")) k += n + "=" + v + ";";
  return k;
}

std::string CheckHistograms(const std::map<std::string, HistState>& hist) {
  for (const auto& [key, h] : hist) {
    if (!h.has_inf) return key + ": no le=\"+Inf\" bucket";
    if (!h.has_sum || !h.has_count) return key + ": missing _sum or _count";
    if (h.count != h.inf_count) return key + ": _count differs from the +Inf bucket";
  }
  return "";
}

}  // namespace

Status CheckPrometheusText(std::string_view text) {
  if (!text.empty() && text.back() != '\n')
    return InvalidArgumentError("text must end with a newline");
  std::map<std::string, std::string> types;
  std::set<std::string> finished;
  std::string current;
  std::map<std::string, HistState> hist;
  size_t line_no = 0, start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    const std::string line(text.substr(start, nl - start));
    start = nl + 1;
    ++line_no;
    auto fail = [&](const std::string& why) {
      return InvalidArgumentError("line " + std::to_string(line_no) + ": " + why + ": " + line);
    };
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (line.rfind("# HELP ", 0) != 0 && line.rfind("# TYPE ", 0) != 0) continue;  // comment
      const std::string rest = line.substr(7);
      const std::string name = rest.substr(0, rest.find(' '));
      if (!IsName(name, true)) return fail("bad metric name");
      if (line[2] == 'T') {
        static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                     "untyped"};
        const std::string type = name.size() < rest.size() ? rest.substr(name.size() + 1) : "";
        if (!kTypes.count(type)) return fail("unknown type");
        if (types.count(name)) return fail("second TYPE for a family");
        if (finished.count(name) || name == current) return fail("TYPE after the family's samples");
        types[name] = type;
      }
      continue;
    }
    Sample s;
    if (std::string why = ParseSample(line, &s); !why.empty()) return fail(why);
    const std::string family = Family(s.name, types);
    if (!types.count(family)) return fail("sample without a TYPE line");
    if (family != current) {
      if (finished.count(family)) return fail("family samples are not contiguous");
      if (!current.empty()) finished.insert(current);
      current = family;
    }
    const std::string& type = types[family];
    if (type == "counter" && !(s.value >= 0)) return fail("negative or NaN counter");
    if (type != "histogram") continue;
    HistState& h = hist[family + "|" + LabelKey(s, true)];
    if (s.name == family + "_bucket") {
      std::string le;
      for (const auto& [n, v] : s.labels)
        if (n == "le") le = v;
      double bound;
      if (le.empty() || !ParseValue(le, &bound)) return fail("bucket without a numeric le");
      if (bound <= h.last_le) return fail("le not increasing");
      if (s.value < h.last_count) return fail("bucket counts decrease");
      h.last_le = bound;
      h.last_count = s.value;
      if (std::isinf(bound)) {
        h.has_inf = true;
        h.inf_count = s.value;
      }
    } else if (s.name == family + "_sum") {
      h.has_sum = true;
    } else if (s.name == family + "_count") {
      h.has_count = true;
      h.count = s.value;
    } else {
      return fail("unexpected sample in a histogram family");
    }
  }
  if (std::string why = CheckHistograms(hist); !why.empty()) return InvalidArgumentError(why);
  return OkStatus();
}

std::map<std::string, double> PrometheusSamples(std::string_view text) {
  std::map<std::string, double> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string line(text.substr(start, nl - start));
    start = nl + 1;
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.rfind(' ');
    double v = 0;
    if (sp != std::string::npos && ParseValue(line.substr(sp + 1), &v)) out[line.substr(0, sp)] = v;
  }
  return out;
}

}  // namespace haloguard::server::testing
