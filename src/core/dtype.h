// DType: element types of stored tensors (safetensors names) and their sizes.
#pragma once

#include <cstddef>
#include <string_view>

namespace haloguard {

enum class DType { kF32, kBF16, kF16, kF64, kI64, kI32, kI16, kI8, kU8, kBool, kUnknown };

// "F32" -> kF32 etc. (safetensors spelling); unknown names -> kUnknown.
DType DTypeFromName(std::string_view name);
// kF32 -> "F32".
std::string_view DTypeName(DType d);
// Bytes per element; 0 for kUnknown.
size_t DTypeSize(DType d);
// True for the dtypes a weight may be stored in: F32, BF16, F16.
inline bool IsFloatWeightDType(DType d) {
  return d == DType::kF32 || d == DType::kBF16 || d == DType::kF16;
}

}  // namespace haloguard
