// Internal to src/server: the JSON-body helpers api.cc shares with the integration endpoints
// (integrations.cc), so every endpoint enforces the same UTF-8, depth and text limits.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "server/api.h"

namespace haloguard::server::internal {

// A 400 ApiError; code "" means "invalid_request"; param "" means none.
ApiError BadRequest(std::string message, std::string param = "", std::string code = "");

// Parses `body` into *out: a JSON object of valid UTF-8 nested at most limits.max_json_depth.
std::optional<ApiError> ParseObject(const std::string& body, const ApiLimits& limits,
                                    nlohmann::json* out);

// Non-blank and at most limits.max_input_bytes bytes; `param` names the field in the error.
std::optional<ApiError> CheckText(const std::string& text, const std::string& param,
                                  const ApiLimits& limits);

}  // namespace haloguard::server::internal
