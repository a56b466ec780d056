// Strict reading of the guard's hand-edited JSON files (policy, attack rules): duplicate keys are
// rejected and every error names the file, the line:column and the key path at fault.
// Internal to the guard module; public headers never expose nlohmann::json.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"

namespace haloguard::guard::internal {

// A location inside a JSON document: object keys and array indices from the root.
class JsonPath {
 public:
  struct Step {
    std::string key;     // object member name (when !is_index)
    size_t index = 0;    // array element (when is_index)
    bool is_index = false;
  };

  JsonPath Key(std::string_view key) const;
  JsonPath Index(size_t index) const;
  // "categories.violence.threshold", "rules[3].patterns[0]"; "(root)" for the empty path.
  std::string ToString() const;
  const std::vector<Step>& steps() const { return steps_; }

 private:
  std::vector<Step> steps_;
};

// A JSON text being read; `name` (usually the file path) prefixes every message.
struct JsonSource {
  std::string name;
  std::string_view text;
};

// Parses `src.text` into *out. Errors (INVALID_ARGUMENT): malformed JSON ("name:L:C: invalid
// JSON; ..."), a key repeated inside one object (nlohmann would silently keep the last one).
Status ParseStrictJson(const JsonSource& src, nlohmann::json* out);

// INVALID_ARGUMENT "name:L:C: path: what", with L:C the start of the value at `path` (omitted
// when it cannot be located, e.g. keys written with escapes).
Status JsonError(const JsonSource& src, const JsonPath& path, std::string_view what);

// OK if `value` is an object whose keys are all in `allowed`; otherwise an error naming the
// first offending key and the allowed set (or "expected an object, got ..." for non-objects).
Status CheckObjectKeys(const JsonSource& src, const JsonPath& path, const nlohmann::json& value,
                       std::initializer_list<std::string_view> allowed);

// "a string \"deny\"", "a number 1.5", "an array", ...: what was found, for "expected X, got Y".
std::string DescribeJson(const nlohmann::json& value);

// Byte offset in `text` (valid JSON) where the value at `path` starts, or npos; a repeated key
// resolves to its last occurrence. Iterative: deep nesting cannot overflow the stack.
size_t LocateJsonValue(std::string_view text, const JsonPath& path);

// "L:C" (1-based; C counts UTF-8 characters) of byte `offset` in `text`.
std::string LineColumn(std::string_view text, size_t offset);

}  // namespace haloguard::guard::internal
