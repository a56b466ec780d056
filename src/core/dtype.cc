// DType name and size tables.
#include "core/dtype.h"

namespace haloguard {
namespace {
struct Row {
  DType d;
  std::string_view name;
  size_t size;
};
constexpr Row kRows[] = {
    {DType::kF32, "F32", 4}, {DType::kBF16, "BF16", 2}, {DType::kF16, "F16", 2},
    {DType::kF64, "F64", 8}, {DType::kI64, "I64", 8},   {DType::kI32, "I32", 4},
    {DType::kI16, "I16", 2}, {DType::kI8, "I8", 1},     {DType::kU8, "U8", 1},
    {DType::kBool, "BOOL", 1},
};
}  // namespace

DType DTypeFromName(std::string_view name) {
  for (const Row& r : kRows)
    if (r.name == name) return r.d;
  return DType::kUnknown;
}

std::string_view DTypeName(DType d) {
  for (const Row& r : kRows)
    if (r.d == d) return r.name;
  return "UNKNOWN";
}

size_t DTypeSize(DType d) {
  for (const Row& r : kRows)
    if (r.d == d) return r.size;
  return 0;
}

}  // namespace haloguard
