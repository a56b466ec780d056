// Scores JSONL: serialisation, reading with validation, and the append-only writer.
#include "eval/scores.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <set>
#include <utility>

#include "core/mapped_file.h"
#include "eval/calibration_metrics.h"

namespace haloguard::eval {
namespace {

// Scores files grow with the benchmarks (~300 bytes a row); 4 GiB is ~10M rows.
constexpr size_t kMaxScoresBytes = size_t{4} << 30;
// p_unsafe and sigmoid(logit) come from the same doubles; they agree to a few ulps.
constexpr double kLogitAgreement = 1e-9;

Status ErrnoError(const std::string& what, const std::string& path, int err) {
  return InternalError("scores: " + what + " '" + path + "': " + std::strerror(err));
}

nlohmann::json NullIfEmpty(const std::string& s) {
  return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

Status ReadProbabilities(const nlohmann::json& row, ScoreRecord* r) {
  HG_ASSIGN_OR_RETURN(r->p_unsafe, internal::RequiredNumberField(row, "p_unsafe"));
  if (r->p_unsafe < 0 || r->p_unsafe > 1) {
    return InvalidArgumentError("p_unsafe; expected a probability in [0, 1], got " +
                                std::to_string(r->p_unsafe));
  }
  if (!row.contains("logit") || row["logit"].is_null()) {
    HG_ASSIGN_OR_RETURN(r->logit, LogitFromProbs(r->p_unsafe, 1 - r->p_unsafe));
    return OkStatus();
  }
  HG_ASSIGN_OR_RETURN(r->logit, internal::RequiredNumberField(row, "logit"));
  if (std::abs(r->logit) > kMaxAbsLogit ||
      std::abs(Sigmoid(r->logit) - r->p_unsafe) > kLogitAgreement) {
    return InvalidArgumentError("logit " + std::to_string(r->logit) + " disagrees with p_unsafe " +
                                std::to_string(r->p_unsafe) +
                                "; expected p_unsafe = "
                                "sigmoid(logit) and |logit| <= 800");
  }
  return OkStatus();
}

Status ReadLangGroup(const nlohmann::json& row, ScoreRecord* r) {
  HG_ASSIGN_OR_RETURN(std::string group, internal::OptionalStringField(row, "lang_group"));
  if (group.empty()) {
    const ResolvedLangGroup g = ResolveLangGroup(r->lang, r->text);
    r->lang_group = g.group;
    r->lang_group_source = g.source;
    return OkStatus();
  }
  HG_ASSIGN_OR_RETURN(r->lang_group, ParseLangGroup(group));
  HG_ASSIGN_OR_RETURN(std::string source, internal::OptionalStringField(row, "lang_group_source"));
  r->lang_group_source = LangGroupSource::kNone;
  if (source.empty()) return OkStatus();
  HG_ASSIGN_OR_RETURN(r->lang_group_source, ParseLangGroupSource(source));
  return OkStatus();
}

StatusOr<ScoreRecord> ParseRow(const nlohmann::json& row, const std::string& default_dataset) {
  ScoreRecord r;
  HG_ASSIGN_OR_RETURN(r.id, internal::RequiredStringField(row, "id"));
  HG_ASSIGN_OR_RETURN(r.dataset, internal::OptionalStringField(row, "dataset"));
  if (r.dataset.empty()) r.dataset = default_dataset;
  if (r.dataset.empty()) return InvalidArgumentError("missing dataset");
  HG_ASSIGN_OR_RETURN(std::string label, internal::RequiredStringField(row, "label"));
  HG_ASSIGN_OR_RETURN(r.label, ParseLabel(label));
  HG_ASSIGN_OR_RETURN(r.text_sha256, internal::OptionalStringField(row, "text_sha256"));
  HG_ASSIGN_OR_RETURN(r.lang, internal::OptionalStringField(row, "lang"));
  HG_ASSIGN_OR_RETURN(r.category, internal::OptionalStringField(row, "category"));
  HG_ASSIGN_OR_RETURN(r.pred_category, internal::OptionalStringField(row, "pred_category"));
  HG_ASSIGN_OR_RETURN(r.text, internal::OptionalStringField(row, "text"));
  HG_RETURN_IF_ERROR(ReadProbabilities(row, &r));
  HG_RETURN_IF_ERROR(ReadLangGroup(row, &r));
  if (const auto wc = row.find("window_count"); wc != row.end() && !wc->is_null()) {
    if (!wc->is_number_integer() || wc->get<int64_t>() < 1) {
      return InvalidArgumentError("window_count; expected an integer >= 1, got " + wc->dump());
    }
    r.window_count = wc->get<int64_t>();
  }
  return r;
}

}  // namespace

Scored ToScored(const ScoreRecord& r, const Adjudication* adjudication) {
  Scored s = ToScored(r);
  if (adjudication == nullptr) return s;
  if (const std::optional<Label> fixed = adjudication->Lookup(r.dataset, r.id)) {
    s.unsafe = *fixed == Label::kUnsafe;
  }
  return s;
}

Scored Calibrate(Scored s, const guard::Calibration& cal) {
  s.p_unsafe = cal.Apply(s.logit);
  s.logit /= cal.temperature;
  return s;
}

StatusOr<double> LogitFromProbs(double p_unsafe, double p_safe) {
  const bool ok = std::isfinite(p_unsafe) && std::isfinite(p_safe) && p_unsafe >= 0 &&
                  p_unsafe <= 1 && p_safe >= 0 && p_safe <= 1 && (p_unsafe > 0 || p_safe > 0);
  if (!ok) {
    return InvalidArgumentError(
        "scores: expected probabilities in [0, 1], not both 0; got "
        "p_unsafe " +
        std::to_string(p_unsafe) + ", p_safe " + std::to_string(p_safe));
  }
  if (p_safe == 0) return kMaxAbsLogit;
  if (p_unsafe == 0) return -kMaxAbsLogit;
  return std::clamp(std::log(p_unsafe) - std::log(p_safe), -kMaxAbsLogit, kMaxAbsLogit);
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const int ok = EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  HG_CHECK(ok == 1 && len == 32) << "EVP_Digest(sha256) failed";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::string ScoreRecordToJson(const ScoreRecord& r) {
  nlohmann::ordered_json j;
  j["id"] = r.id;
  j["dataset"] = r.dataset;
  j["text_sha256"] = NullIfEmpty(r.text_sha256);
  j["label"] = LabelName(r.label);
  j["lang"] = NullIfEmpty(r.lang);
  j["lang_group"] = LangGroupName(r.lang_group);
  j["lang_group_source"] = LangGroupSourceName(r.lang_group_source);
  j["category"] = NullIfEmpty(r.category);
  j["p_unsafe"] = r.p_unsafe;
  j["logit"] = r.logit;
  j["pred_category"] = NullIfEmpty(r.pred_category);
  j["window_count"] = r.window_count;
  if (!r.text.empty()) j["text"] = r.text;
  // Replace, not throw, if a caller ever hands us invalid UTF-8 (texts are validated upstream).
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

StatusOr<ScoresFile> ReadScores(const std::string& path, BadRowPolicy policy,
                                const std::string& default_dataset) {
  HG_ASSIGN_OR_RETURN(std::string content, ReadFileToString(path, kMaxScoresBytes));
  ScoresFile out;
  std::set<std::pair<std::string, std::string>> seen;
  auto row_fn = [&](int64_t, const nlohmann::json& row) -> Status {
    HG_ASSIGN_OR_RETURN(ScoreRecord r, ParseRow(row, default_dataset));
    if (!seen.emplace(r.dataset, r.id).second) {
      return InvalidArgumentError("duplicate score for dataset '" + r.dataset + "' id '" + r.id +
                                  "'");
    }
    out.records.push_back(std::move(r));
    return OkStatus();
  };
  internal::JsonlOptions options{policy, /*tolerate_truncated_tail=*/true};
  HG_ASSIGN_OR_RETURN(internal::JsonlStats stats,
                      internal::ForEachJsonLine(path, content, options, &out.bad_rows, row_fn));
  out.truncated_tail = stats.truncated_tail;
  out.valid_bytes = stats.valid_bytes;
  return out;
}

std::string DatasetNameForScoresFile(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  const size_t dot = base.find('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  return base.empty() ? "scores" : base;
}

StatusOr<ScoresWriter> ScoresWriter::Open(const std::string& path, int64_t keep_bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot open", path, errno);
  if (::ftruncate(fd, keep_bytes) != 0 || ::lseek(fd, 0, SEEK_END) < 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoError("cannot truncate", path, err);
  }
  return ScoresWriter(fd, path);
}

ScoresWriter::ScoresWriter(ScoresWriter&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), path_(std::move(o.path_)) {}

ScoresWriter& ScoresWriter::operator=(ScoresWriter&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
    path_ = std::move(o.path_);
  }
  return *this;
}

ScoresWriter::~ScoresWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status ScoresWriter::Append(std::span<const ScoreRecord> records) {
  HG_CHECK(fd_ >= 0) << "ScoresWriter::Append after Close";
  std::string buf;
  for (const ScoreRecord& r : records) buf += ScoreRecordToJson(r) + "\n";
  size_t off = 0;
  while (off < buf.size()) {
    const ssize_t n = ::write(fd_, buf.data() + off, buf.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot write", path_, errno);
    }
    off += static_cast<size_t>(n);
  }
  return OkStatus();
}

Status ScoresWriter::Close() {
  if (fd_ < 0) return OkStatus();
  const int fd = std::exchange(fd_, -1);
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoError("cannot flush", path_, err);
  }
  if (::close(fd) != 0) return ErrnoError("cannot close", path_, errno);
  return OkStatus();
}

}  // namespace haloguard::eval
