// The web console's files (index.html, app.css, app.js), compiled into the binary, and the
// lookup the server's GET / and /ui/{file} routes use.
#pragma once

#include <cstddef>
#include <string_view>

namespace haloguard::ui {

struct EmbeddedFile {
  std::string_view name;  // "app.js"
  std::string_view body;  // the file's bytes as committed in src/ui
};

// Generated (embed.cmake): every file of the console, kUiFileCount entries.
extern const EmbeddedFile kUiFiles[];
extern const size_t kUiFileCount;

struct UiAsset {
  std::string_view body;
  std::string_view content_type;  // "text/html; charset=utf-8", ...
};

// The asset for a request path: "/" and "/ui/" -> index.html, "/ui/<name>" -> that file.
// Returns false for anything else (no directory walking: names are matched exactly).
bool FindUiAsset(std::string_view path, UiAsset* out);

// The Content-Security-Policy every console response carries: only this origin, no inline
// script or style, no framing.
inline constexpr std::string_view kUiCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

}  // namespace haloguard::ui
