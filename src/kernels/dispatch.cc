// Runtime CPU dispatch: detects what this CPU runs (__builtin_cpu_supports, which also checks
// that the OS saves the wide registers), builds each supported OpTable once, and keeps the active
// one (the best, or HALOGUARD_ISA).
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>

#include "core/log.h"
#include "kernels/cpu/ops.h"
#include "kernels/kernels.h"

#if HG_HAVE_X86_TARGETS
namespace haloguard::kernels::avx512 {
cpu::OpTable MakeTable(bool has_vnni, const cpu::OpTable& fallback);
}
namespace haloguard::kernels::cpu {
void GemmBf16Avx512(const Bf16Args& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1);
void RoundRowBf16Avx512(const float* x, int64_t K, uint16_t* xb, int64_t K32);
}
namespace haloguard::kernels::avx2 {
cpu::OpTable MakeTable(const cpu::OpTable& fallback);
}
#endif

namespace haloguard::kernels {
namespace {

#if HG_HAVE_X86_TARGETS
bool CpuRunsAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}
bool CpuRunsAvx512() {
  return CpuRunsAvx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}
bool CpuRunsVnni() { return CpuRunsAvx512() && __builtin_cpu_supports("avx512vnni"); }
bool CpuRunsBf16() { return CpuRunsAvx512() && __builtin_cpu_supports("avx512bf16"); }
#endif

const cpu::OpTable* TableFor(Isa isa) {
  switch (isa) {
    case Isa::kPortable: return &cpu::PortableOps();
    case Isa::kAvx2: return cpu::Avx2Ops();
    case Isa::kAvx512: return cpu::Avx512Ops();
  }
  return nullptr;
}

const cpu::OpTable* BestTable() {
  for (Isa isa : {Isa::kAvx512, Isa::kAvx2})
    if (const cpu::OpTable* t = TableFor(isa)) return t;
  return &cpu::PortableOps();
}

// The first use picks the table: HALOGUARD_ISA if it names a supported one, else the best.
const cpu::OpTable* InitialTable() {
  const char* env = std::getenv("HALOGUARD_ISA");
  if (env == nullptr || *env == '\0') return BestTable();
  for (Isa isa : {Isa::kPortable, Isa::kAvx2, Isa::kAvx512}) {
    if (IsaName(isa) != env) continue;
    if (const cpu::OpTable* t = TableFor(isa)) return t;
    HG_LOG(WARNING) << "HALOGUARD_ISA=" << env << " is not supported by this CPU or build; using "
                    << IsaName(BestTable()->isa);
    return BestTable();
  }
  HG_LOG(WARNING) << "HALOGUARD_ISA: expected portable, avx2 or avx512, got '" << env << "'; using "
                  << IsaName(BestTable()->isa);
  return BestTable();
}

std::atomic<const cpu::OpTable*> g_active{nullptr};

}  // namespace

namespace cpu {

const OpTable* Avx2Ops() {
#if HG_HAVE_X86_TARGETS
  static const OpTable* table = CpuRunsAvx2() ? new OpTable(avx2::MakeTable(PortableOps())) : nullptr;
  return table;
#else
  return nullptr;
#endif
}

const OpTable* Avx512Ops() {
#if HG_HAVE_X86_TARGETS
  static const OpTable* table =
      CpuRunsAvx512() ? new OpTable(avx512::MakeTable(CpuRunsVnni(), PortableOps())) : nullptr;
  return table;
#else
  return nullptr;
#endif
}

Bf16GemmFn Bf16Gemm() {
#if HG_HAVE_X86_TARGETS
  static const bool cpu_has = CpuRunsBf16();
  if (cpu_has && Ops().isa == Isa::kAvx512) return &GemmBf16Avx512;
#endif
  return nullptr;
}

Bf16RoundFn Bf16RoundRow() {
#if HG_HAVE_X86_TARGETS
  if (Bf16Gemm() != nullptr) return &RoundRowBf16Avx512;
#endif
  return nullptr;
}

const OpTable& Ops() {
  const OpTable* t = g_active.load(std::memory_order_acquire);
  if (t == nullptr) {
    static std::once_flag once;
    std::call_once(once, [] {
      const OpTable* expected = nullptr;
      g_active.compare_exchange_strong(expected, InitialTable(), std::memory_order_acq_rel);
    });
    t = g_active.load(std::memory_order_acquire);
  }
  return *t;
}

}  // namespace cpu

std::string_view IsaName(Isa isa) {
  switch (isa) {
    case Isa::kPortable: return "portable";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "unknown";
}

bool Bf16ComputeSupported() { return cpu::Bf16Gemm() != nullptr; }

bool IsaSupported(Isa isa) { return TableFor(isa) != nullptr; }

Isa ActiveIsa() { return cpu::Ops().isa; }

bool SetActiveIsa(Isa isa) {
  const cpu::OpTable* t = TableFor(isa);
  if (t == nullptr) return false;
  cpu::Ops();  // settle the initial choice first so it cannot overwrite this one
  g_active.store(t, std::memory_order_release);
  return true;
}

}  // namespace haloguard::kernels
