#include "harness/vote_ledger.h"

#include <algorithm>

#include <fmt/format.h>

#include "harness/alphabet.h"

namespace harness {
namespace {

constexpr std::size_t kKeysReported = 12;  // enough to see a pattern, short enough to read

}  // namespace

Reader VoteLedger::make_reader() {
  return Reader(items_source(alphabet::letter_keys(),
                             [](const std::string& key) { return alphabet::encode_vote(key, 1); },
                             /*cycle=*/true),
                [this](const std::string& payload) { record_sent(payload); });
}

void VoteLedger::record_sent(const std::string& vote_payload) {
  const auto vote = alphabet::decode_vote(vote_payload);
  if (!vote) return;  // not a vote: nothing the sink will total
  std::lock_guard lock(mutex_);
  sent_[vote->key] += vote->votes;
}

std::map<std::string, std::uint64_t> VoteLedger::sent() const {
  std::lock_guard lock(mutex_);
  return sent_;
}

std::uint64_t VoteLedger::total_sent() const {
  std::lock_guard lock(mutex_);
  std::uint64_t total = 0;
  for (const auto& [key, n] : sent_) total += n;
  return total;
}

std::vector<std::string> VoteLedger::final_total_frames() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> frames;
  frames.reserve(sent_.size());
  for (const auto& [key, n] : sent_) frames.push_back(alphabet::encode_total(key, n));
  return frames;
}

std::string VoteLedger::check_exactly_once(const std::vector<ReceivedRecord>& sink_records) const {
  const auto sent = this->sent();
  std::map<std::string, std::vector<std::uint64_t>> seen;
  std::vector<std::string> problems;
  std::size_t malformed = 0;
  for (const ReceivedRecord& record : sink_records) {
    const auto total = alphabet::decode_total(record.payload);
    if (!total) {
      if (malformed++ < kKeysReported)
        problems.push_back(fmt::format("malformed sink frame on connection {}: {}", record.connection,
                                       alphabet::describe_total(record.payload)));
      continue;
    }
    seen[total->key].push_back(total->total);
  }

  std::size_t bad_keys = 0;
  auto report_key = [&](const std::string& text) {
    if (bad_keys++ < kKeysReported) problems.push_back(text);
  };
  for (const auto& [key, n] : sent) {
    std::vector<std::uint64_t> totals = seen.count(key) ? seen[key] : std::vector<std::uint64_t>{};
    std::sort(totals.begin(), totals.end());
    const std::uint64_t final_total = totals.empty() ? 0 : totals.back();
    std::vector<std::uint64_t> missing, doubled, beyond;
    std::uint64_t expect = 1;
    for (std::size_t i = 0; i < totals.size(); ++i) {
      const std::uint64_t t = totals[i];
      if (t == 0 || t > n) {  // a total is at least 1 (one vote per record) and at most n
        beyond.push_back(t);
      } else if (i > 0 && t == totals[i - 1]) {
        doubled.push_back(t);
      } else {
        for (; expect < t; ++expect) missing.push_back(expect);
        expect = t + 1;
      }
    }
    for (; expect <= n; ++expect) missing.push_back(expect);
    if (missing.empty() && doubled.empty() && beyond.empty()) continue;
    std::string line = fmt::format("key {}: sent {}, final total {}", key, n, final_total);
    auto list = [](const std::vector<std::uint64_t>& v) {
      std::string s;
      for (std::size_t i = 0; i < v.size() && i < 10; ++i) s += (i ? "," : "") + std::to_string(v[i]);
      if (v.size() > 10) s += fmt::format(",... ({} in all)", v.size());
      return s;
    };
    if (!missing.empty()) line += "; lost totals " + list(missing);
    if (!doubled.empty()) line += "; counted twice " + list(doubled);
    if (!beyond.empty()) line += fmt::format("; totals outside 1..{} ", n) + list(beyond);
    report_key(line);
  }
  for (const auto& [key, totals] : seen) {
    if (!sent.count(key))
      report_key(fmt::format("key {}: never sent, yet {} total frames came out", key, totals.size()));
  }
  if (problems.empty()) return {};
  std::string out = fmt::format("{} of {} keys sent are wrong ({} records sent, {} sink frames):",
                                bad_keys, sent.size(), total_sent(), sink_records.size());
  for (const auto& p : problems) out += "\n  " + p;
  if (bad_keys > kKeysReported) out += fmt::format("\n  ... and {} more keys", bad_keys - kKeysReported);
  if (malformed > kKeysReported) out += fmt::format("\n  ... and {} more malformed frames", malformed - kKeysReported);
  return out;
}

}  // namespace harness
