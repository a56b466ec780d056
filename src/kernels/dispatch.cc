// Runtime CPU dispatch: detects what this CPU runs (__builtin_cpu_supports, which also checks
// that the OS saves the wide registers), builds each supported OpTable once, and keeps the active
// one (the best, or HALOGUARD_ISA).
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>

#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "core/log.h"
#include "kernels/cpu/ops.h"
#include "kernels/kernels.h"

#if HG_HAVE_X86_TARGETS
namespace haloguard::kernels::avx512 {
cpu::OpTable MakeTable(bool has_vnni, bool has_amx, const cpu::OpTable& fallback);
}
namespace haloguard::kernels::cpu {
void GemmBf16Amx(const Bf16Args& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1, void* scratch);
void GemmBf16Avx512(const Bf16Args& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1, void* scratch);
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

// AMX usable by this process: CPUID.(7,0):EDX bit 24 (AMX-TILE) and `feature_bit` (25
// AMX-INT8, 22 AMX-BF16), the OS saving the tile state (XCR0 bits 17-18), and Linux granting the
// process the tile data (arch_prctl ARCH_REQ_XCOMP_PERM; once granted it holds for every thread).
bool ProcessRunsAmx(int feature_bit) {
#if defined(__x86_64__) && defined(__linux__)
  if (!CpuRunsAvx512()) return false;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0 || ((d >> 24) & 1u) == 0 || ((d >> feature_bit) & 1u) == 0) return false;
  uint32_t lo = 0, hi = 0;
  asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if (((lo >> 17) & 3u) != 3u) return false;
  constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  static const bool granted = syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
  return granted;
#else
  (void)feature_bit;
  return false;
#endif
}
bool ProcessRunsAmxInt8() { return CpuRunsVnni() && ProcessRunsAmx(25); }
bool ProcessRunsAmxBf16() { return CpuRunsBf16() && ProcessRunsAmx(22); }
#endif

// Whether MatMul uses the AMX kernels where it has them: on, unless HALOGUARD_AMX=0.
std::atomic<bool> g_amx{[] {
  const char* env = std::getenv("HALOGUARD_AMX");
  return env == nullptr || std::string(env) != "0";
}()};

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
      CpuRunsAvx512() ? new OpTable(avx512::MakeTable(CpuRunsVnni(), ProcessRunsAmxInt8(), PortableOps()))
                      : nullptr;
  return table;
#else
  return nullptr;
#endif
}

Bf16GemmFn Bf16Gemm() {
#if HG_HAVE_X86_TARGETS
  static const bool cpu_has = CpuRunsBf16();
  if (cpu_has && Ops().isa == Isa::kAvx512) return AmxBf16Supported() && AmxEnabled() ? &GemmBf16Amx : &GemmBf16Avx512;
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

bool AmxInt8Supported() { return cpu::Ops().gemm_int8_amx != nullptr; }

bool AmxBf16Supported() {
#if HG_HAVE_X86_TARGETS
  static const bool process_runs = ProcessRunsAmxBf16();
  return process_runs && cpu::Ops().isa == Isa::kAvx512;
#else
  return false;
#endif
}

bool AmxEnabled() { return g_amx.load(std::memory_order_relaxed); }

void SetAmx(bool on) { g_amx.store(on, std::memory_order_relaxed); }

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
