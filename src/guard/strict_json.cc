// Strict JSON parsing (duplicate keys rejected) and located error messages for the guard's
// hand-edited files. nlohmann::json throws are caught here and never leave this file.
#include "guard/strict_json.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

namespace haloguard::guard::internal {
namespace {

using Json = nlohmann::json;

// One open object or array while the parser callback walks the document.
struct Frame {
  bool is_array = false;
  std::set<std::string, std::less<>> keys;
  std::string last_key;
  size_t count = 0;  // elements seen so far (arrays)
};

// Path from the root to the innermost open container, as seen by the parser callback.
JsonPath PathOf(const std::vector<Frame>& frames) {
  JsonPath p;
  for (size_t i = 0; i + 1 < frames.size(); ++i) {
    p = frames[i].is_array ? p.Index(frames[i].count - 1) : p.Key(frames[i].last_key);
  }
  return p;
}

// Tracks containers so that a repeated key can be reported with its path.
class DuplicateKeyFinder {
 public:
  bool found() const { return found_; }
  const JsonPath& where() const { return where_; }

  void OnEvent(Json::parse_event_t event, const Json& parsed) {
    using E = Json::parse_event_t;
    switch (event) {
      case E::object_start:
      case E::array_start:
        CountElement();
        frames_.push_back(Frame{.is_array = event == E::array_start});
        break;
      case E::object_end:
      case E::array_end:
        if (!frames_.empty()) frames_.pop_back();
        break;
      case E::key: OnKey(parsed.get<std::string>()); break;
      case E::value: CountElement(); break;
    }
  }

 private:
  void CountElement() {
    if (!frames_.empty() && frames_.back().is_array) ++frames_.back().count;
  }
  void OnKey(std::string key) {
    if (frames_.empty()) return;
    Frame& f = frames_.back();
    if (!f.keys.insert(key).second && !found_) {
      found_ = true;
      where_ = PathOf(frames_).Key(key);
    }
    f.last_key = std::move(key);
  }

  std::vector<Frame> frames_;
  bool found_ = false;
  JsonPath where_;
};

// nlohmann's message minus its "[json.exception...] parse error at line L, column C: " prefix
// (we print our own location).
std::string ParseErrorDetail(const std::string& what) {
  size_t pos = what.find("] ");
  std::string rest = pos == std::string::npos ? what : what.substr(pos + 2);
  if (rest.rfind("parse error", 0) == 0) {
    size_t colon = rest.find(": ");
    if (colon != std::string::npos) rest = rest.substr(colon + 2);
  }
  return rest;
}

size_t SkipWs(std::string_view t, size_t i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
  return i;
}

// `i` is at an opening quote; returns the index just past the closing quote.
size_t SkipString(std::string_view t, size_t i) {
  for (++i; i < t.size(); ++i) {
    if (t[i] == '\\') ++i;
    else if (t[i] == '"') return i + 1;
  }
  return t.size();
}

// `i` is at the first byte of a value; returns the index just past it. Nesting is tracked
// with a counter, not recursion.
size_t SkipValue(std::string_view t, size_t i) {
  if (i >= t.size()) return i;
  if (t[i] == '"') return SkipString(t, i);
  if (t[i] != '{' && t[i] != '[') {
    while (i < t.size() && std::string_view(",}] \t\r\n").find(t[i]) == std::string_view::npos) ++i;
    return i;
  }
  size_t depth = 0;
  while (i < t.size()) {
    const char c = t[i];
    if (c == '"') { i = SkipString(t, i); continue; }
    if (c == '{' || c == '[') ++depth;
    if ((c == '}' || c == ']') && --depth == 0) return i + 1;
    ++i;
  }
  return i;
}

// From `i` at '{', finds member `key` and returns the start of its value (or npos). A repeated
// key resolves to its last occurrence, the one a JSON parser keeps.
size_t FindMember(std::string_view t, size_t i, std::string_view key) {
  if (i >= t.size() || t[i] != '{') return std::string_view::npos;
  size_t found = std::string_view::npos;
  i = SkipWs(t, i + 1);
  while (i < t.size() && t[i] == '"') {
    const size_t end = SkipString(t, i);
    const bool match = end >= i + 2 && t.substr(i + 1, end - i - 2) == key;
    i = SkipWs(t, end);
    if (i >= t.size() || t[i] != ':') break;
    i = SkipWs(t, i + 1);
    if (match) found = i;
    i = SkipWs(t, SkipValue(t, i));
    if (i < t.size() && t[i] == ',') i = SkipWs(t, i + 1);
  }
  return found;
}

// From `i` at '[', returns the start of element `index` (or npos).
size_t FindElement(std::string_view t, size_t i, size_t index) {
  if (i >= t.size() || t[i] != '[') return std::string_view::npos;
  i = SkipWs(t, i + 1);
  for (size_t k = 0; i < t.size() && t[i] != ']'; ++k) {
    if (k == index) return i;
    i = SkipWs(t, SkipValue(t, i));
    if (i < t.size() && t[i] == ',') i = SkipWs(t, i + 1);
  }
  return std::string_view::npos;
}

}  // namespace

JsonPath JsonPath::Key(std::string_view key) const {
  JsonPath p = *this;
  p.steps_.push_back(Step{.key = std::string(key)});
  return p;
}

JsonPath JsonPath::Index(size_t index) const {
  JsonPath p = *this;
  p.steps_.push_back(Step{.index = index, .is_index = true});
  return p;
}

std::string JsonPath::ToString() const {
  if (steps_.empty()) return "(root)";
  std::string s;
  for (const Step& st : steps_) {
    if (st.is_index) {
      s += '[';
      s += std::to_string(st.index);
      s += ']';
    } else {
      if (!s.empty()) s += '.';
      s += st.key;
    }
  }
  return s;
}

std::string LineColumn(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++col;
    }
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

size_t LocateJsonValue(std::string_view text, const JsonPath& path) {
  size_t i = SkipWs(text, 0);
  for (const JsonPath::Step& st : path.steps()) {
    i = st.is_index ? FindElement(text, i, st.index) : FindMember(text, i, st.key);
    if (i == std::string_view::npos) return i;
  }
  return i < text.size() ? i : std::string_view::npos;
}

Status JsonError(const JsonSource& src, const JsonPath& path, std::string_view what) {
  std::string msg = src.name;
  const size_t at = LocateJsonValue(src.text, path);
  if (at != std::string_view::npos) {
    msg += ':';
    msg += LineColumn(src.text, at);
  }
  msg += ": ";
  msg += path.ToString();
  msg += ": ";
  msg += what;
  return InvalidArgumentError(std::move(msg));
}

Status ParseStrictJson(const JsonSource& src, Json* out) {
  DuplicateKeyFinder dup;
  Json::parser_callback_t cb = [&dup](int, Json::parse_event_t event, Json& parsed) {
    dup.OnEvent(event, parsed);
    return true;
  };
  try {
    *out = Json::parse(src.text.begin(), src.text.end(), cb);
  } catch (const Json::parse_error& e) {
    const size_t at = e.byte > 0 ? e.byte - 1 : 0;
    return InvalidArgumentError(src.name + ":" + LineColumn(src.text, at) +
                                ": invalid JSON; " + ParseErrorDetail(e.what()));
  } catch (const Json::exception& e) {
    return InvalidArgumentError(src.name + ": invalid JSON; " + e.what());
  }
  if (dup.found()) {
    return JsonError(src, dup.where(),
                     "key repeated in the same object; expected each key once");
  }
  return OkStatus();
}

std::string DescribeJson(const Json& value) {
  constexpr size_t kMaxShown = 80;
  auto shown = [&] {
    std::string d = value.dump(-1, ' ', false, Json::error_handler_t::replace);
    return d.size() > kMaxShown ? d.substr(0, kMaxShown) + "..." : d;
  };
  switch (value.type()) {
    case Json::value_t::string: return "a string " + shown();
    case Json::value_t::boolean: return "a boolean " + shown();
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::discarded: return "nothing";
    default: return "a number " + shown();
  }
}

Status CheckObjectKeys(const JsonSource& src, const JsonPath& path, const Json& value,
                       std::initializer_list<std::string_view> allowed) {
  if (!value.is_object()) {
    return JsonError(src, path, "expected an object, got " + DescribeJson(value));
  }
  for (const auto& [key, unused] : value.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string list;
    for (std::string_view a : allowed) {
      if (!list.empty()) list += ", ";
      list += a;
    }
    return JsonError(src, path.Key(key), "unknown key; expected one of: " + list);
  }
  return OkStatus();
}

}  // namespace haloguard::guard::internal
