// HG_CHECK / HG_DCHECK: invariant checks that abort with file:line and a message.
// Use for programming errors only; expected failures return a Status (core/status.h).
#pragma once

#include <sstream>

namespace haloguard::internal {

// Collects a message and aborts in its destructor.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* cond);
  [[noreturn]] ~CheckFailure();
  std::ostream& stream() { return os_; }

 private:
  std::ostringstream os_;
};

// Lets `HG_CHECK(x) << "msg"` compile to a void expression.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace haloguard::internal

#define HG_CHECK(cond)                 \
  (cond) ? (void)0                     \
         : ::haloguard::internal::Voidify() & \
               ::haloguard::internal::CheckFailure(__FILE__, __LINE__, #cond).stream()

#ifdef NDEBUG
#define HG_DCHECK(cond) \
  while (false) HG_CHECK(cond)
#else
#define HG_DCHECK(cond) HG_CHECK(cond)
#endif
