// Shared workloads of the model-level bench sections: deterministic token ids, one timed
// prefill / decode, and the FLOP count the achieved-GFLOP/s figures are based on.
#pragma once

#include <cstdint>
#include <vector>

#include "bench/bench.h"
#include "model/qwen35.h"

namespace haloguard::bench {

// n pseudo-random token ids in [0, vocab) (fixed seed: runs are comparable).
std::vector<int32_t> TokenIds(int64_t n, int64_t vocab, uint32_t seed);

// FLOPs of a forward over T new tokens after P cached ones (matmuls of the decoder layers,
// attention scores + weighted sums, the recurrent delta rule; no LM head). Per token at P = 0
// this is ~1.0 GFLOP for the 0.8B shape.
double ForwardFlops(const model::TextConfig& c, int64_t T, int64_t P);
// Its parts: decoder-layer matmuls, attention (scores + weighted sums), recurrent delta rule.
double MatmulFlops(const model::TextConfig& c, int64_t T);
double AttentionFlops(const model::TextConfig& c, int64_t T, int64_t P);
double DeltaRuleFlops(const model::TextConfig& c, int64_t T);

// One committed forward of `ids` on a fresh state (logits of two vocabulary rows at the last
// position, as the guard asks); returns seconds.
double TimePrefill(const model::Model& m, ThreadPool& pool, const std::vector<int32_t>& ids,
                   model::ForwardProfile* profile = nullptr);

// Decode: after a `prefix`-token prompt, `steps` single-token forwards; returns seconds of the
// steps only.
double TimeDecode(const model::Model& m, ThreadPool& pool, int64_t prefix, int64_t steps);

// Sections defined in the section files.
Status MachineSection(BenchEnv& env, Report& r);
Status ExactSection(BenchEnv& env, Report& r);
Status BatchingSection(BenchEnv& env, Report& r);
Status MemorySection(BenchEnv& env, Report& r);
Status Int8Section(BenchEnv& env, Report& r);
Status Bf16Section(BenchEnv& env, Report& r);
Status TokenizerSection(BenchEnv& env, Report& r);
Status GuardLatencySection(BenchEnv& env, Report& r);
Status GuardThroughputSection(BenchEnv& env, Report& r);
Status GuardInt8AccuracySection(BenchEnv& env, Report& r);

}  // namespace haloguard::bench
