#pragma once
// What was sent and what came out, key by key, for the vote-counting app.
// The Sender's on_sent hook records each vote really written to the source;
// at the end, the sink's total frames are checked against it: for every key,
// the totals seen must be exactly 1..n (n = votes sent, one vote per record),
// each once. That is "nothing lost, nothing counted twice".
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "harness/reader.h"
#include "harness/tcp_receiver.h"

namespace harness {

class VoteLedger {
 public:
  // A Reader whose records are single votes for keys cycling aa, ab, ... zz,
  // each recorded here once it has been sent. The ledger must outlive it.
  Reader make_reader();
  // Records one sent vote payload (key | u32 votes).
  void record_sent(const std::string& vote_payload);

  std::map<std::string, std::uint64_t> sent() const;  // key -> votes sent
  std::uint64_t total_sent() const;
  // The sink payloads that carry each key's final total (key | u64 n).
  std::vector<std::string> final_total_frames() const;

  // Checks the sink's records: every frame is a well-formed total of a sent
  // key, and each key's totals are exactly 1..n, each once. Returns an empty
  // string when they are, else a report of what is wrong, key by key.
  std::string check_exactly_once(const std::vector<ReceivedRecord>& sink_records) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> sent_;
};

}  // namespace harness
