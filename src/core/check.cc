// Abort path of HG_CHECK.
#include "core/check.h"

#include <cstdio>
#include <cstdlib>

namespace haloguard::internal {

CheckFailure::CheckFailure(const char* file, int line, const char* cond) {
  os_ << file << ":" << line << ": check failed: " << cond << " ";
}

CheckFailure::~CheckFailure() {
  std::fprintf(stderr, "%s\n", os_.str().c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace haloguard::internal
