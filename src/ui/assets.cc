// FindUiAsset: exact-name lookup in the embedded console files, content type by extension.
#include "ui/assets.h"

namespace haloguard::ui {
namespace {

std::string_view ContentType(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".png")) return "image/png";
  return "application/octet-stream";
}

}  // namespace

bool FindUiAsset(std::string_view path, UiAsset* out) {
  std::string_view name;
  if (path == "/" || path == "/ui/") {
    name = "index.html";
  } else if (path.starts_with("/ui/")) {
    name = path.substr(4);
  } else {
    return false;
  }
  for (size_t i = 0; i < kUiFileCount; ++i) {
    if (kUiFiles[i].name == name) {
      *out = {kUiFiles[i].body, ContentType(name)};
      return true;
    }
  }
  return false;
}

}  // namespace haloguard::ui
