// SAX events -> DOM for the small parts, vectors for model.vocab / model.merges.
#include "tokenizer/vocab_sax.h"

namespace haloguard::tokenizer::internal {
namespace {

using nlohmann::json;

class Reader : public nlohmann::json_sax<json> {
 public:
  Reader(const std::string& path, TokenizerJson* out) : path_(path), out_(out) {}
  const std::string& error() const { return error_; }

  bool null() override { return Value(json()); }
  bool boolean(bool v) override { return Value(json(v)); }
  bool number_integer(number_integer_t v) override { return Value(json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return Value(json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return Value(json(v)); }
  bool binary(binary_t&) override { return Fail("unexpected binary value"); }

  bool string(string_t& v) override {
    if (mode_ == Mode::kMerges) {
      const size_t sp = v.find(' ');
      if (sp == std::string::npos || v.find(' ', sp + 1) != std::string::npos) return BadMerge();
      out_->merges.emplace_back(v.substr(0, sp), v.substr(sp + 1));
      return true;
    }
    if (mode_ == Mode::kMergePair) {
      pair_.push_back(std::move(v));
      return true;
    }
    return Value(json(std::move(v)));
  }

  bool key(string_t& k) override {
    key_ = std::move(k);
    return true;
  }

  bool start_object(std::size_t) override {
    if (mode_ == Mode::kDom && InModel() && key_ == "vocab") {
      Insert(json::object());  // placeholder; the entries go to out_->vocab
      out_->has_vocab = true;
      mode_ = Mode::kVocab;
      return true;
    }
    if (mode_ != Mode::kDom) return mode_ == Mode::kVocab ? BadVocab("an object") : BadMerge();
    return Open(json::object(), "{}");
  }

  bool start_array(std::size_t) override {
    if (mode_ == Mode::kDom && InModel() && key_ == "merges") {
      Insert(json::array());  // placeholder; the entries go to out_->merges
      out_->has_merges = true;
      mode_ = Mode::kMerges;
      return true;
    }
    if (mode_ == Mode::kMerges) {
      mode_ = Mode::kMergePair;
      pair_.clear();
      return true;
    }
    if (mode_ != Mode::kDom) return mode_ == Mode::kVocab ? BadVocab("an array") : BadMerge();
    return Open(json::array(), "[]");
  }

  bool end_object() override {
    if (mode_ == Mode::kVocab) {
      mode_ = Mode::kDom;
      return true;
    }
    return Close();
  }

  bool end_array() override {
    if (mode_ == Mode::kMergePair) {
      if (pair_.size() != 2) return BadMerge();
      out_->merges.emplace_back(std::move(pair_[0]), std::move(pair_[1]));
      mode_ = Mode::kMerges;
      return true;
    }
    if (mode_ == Mode::kMerges) {
      mode_ = Mode::kDom;
      return true;
    }
    return Close();
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    std::string what = e.what();
    const size_t tail = what.find("] ");
    return Fail("malformed JSON: " + (tail == std::string::npos ? what : what.substr(tail + 2)));
  }

 private:
  enum class Mode { kDom, kVocab, kMerges, kMergePair };

  // Directly inside the top-level "model" object.
  bool InModel() const {
    return stack_.size() == 2 && path_keys_[1] == "model" && stack_.back()->is_object();
  }

  bool Fail(const std::string& message) {
    if (error_.empty()) error_ = path_ + ": " + message;
    return false;
  }
  bool BadVocab(const std::string& got) {
    return Fail("model.vocab[\"" + key_ + "\"]: expected an integer id, got " + got);
  }
  bool BadMerge() {
    return Fail("model.merges[" + std::to_string(out_->merges.size()) +
                "]: expected \"a b\" or [\"a\", \"b\"]");
  }

  // Adds a scalar at the current position.
  bool Value(json v) {
    if (mode_ == Mode::kVocab) {
      if (!v.is_number_integer()) return BadVocab(v.dump());
      out_->vocab.emplace_back(key_, v.get<int64_t>());
      return true;
    }
    if (mode_ != Mode::kDom) return BadMerge();
    Insert(std::move(v));
    return true;
  }

  json* Insert(json v) {
    if (stack_.empty()) {
      out_->dom = std::move(v);
      return &out_->dom;
    }
    json& top = *stack_.back();
    if (top.is_object()) return &(top[key_] = std::move(v));
    top.push_back(std::move(v));
    return &top.back();
  }

  bool Open(json container, const char* marker) {
    path_keys_.push_back(stack_.empty() || stack_.back()->is_array() ? std::string(marker) : key_);
    stack_.push_back(Insert(std::move(container)));
    return true;
  }
  bool Close() {
    stack_.pop_back();
    path_keys_.pop_back();
    return true;
  }

  const std::string& path_;
  TokenizerJson* out_;
  Mode mode_ = Mode::kDom;
  std::vector<json*> stack_;            // open DOM containers, outermost first
  std::vector<std::string> path_keys_;  // the key (or marker) each open container sits under
  std::string key_;
  std::vector<std::string> pair_;
  std::string error_;
};

}  // namespace

StatusOr<TokenizerJson> ParseTokenizerJson(const std::string& path, const std::string& text) {
  TokenizerJson out;
  Reader reader(path, &out);
  bool ok = false;
  try {
    ok = json::sax_parse(text, &reader);
  } catch (const json::exception& e) {
    return InvalidArgumentError(path + ": malformed JSON: " + e.what());
  }
  if (!ok)
    return InvalidArgumentError(reader.error().empty() ? path + ": malformed JSON"
                                                       : reader.error());
  if (!out.dom.is_object())
    return InvalidArgumentError(path + ": expected a JSON object at the top level");
  return out;
}

}  // namespace haloguard::tokenizer::internal
