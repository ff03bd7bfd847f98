#pragma once
// The vote-counting application's record formats (worker-contract.md section 2).
//   source payload: key (2 ASCII bytes) | votes (u32 big-endian)
//   sink payload:   key (2 bytes)       | total (u64 big-endian)
// Payloads exclude the u32 frame header.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace harness::alphabet {

inline constexpr std::string_view kStateStep = "letter-state";
inline constexpr std::string_view kExtraKey = "!!";

// "aa", "ab", ... "zz": the 676 keys a sender cycles through.
const std::vector<std::string>& letter_keys();
// The 677 partition keys: letter_keys() and "!!".
const std::vector<std::string>& partition_keys();
bool is_partition_key(std::string_view key);

std::string encode_vote(std::string_view key, std::uint32_t votes);
struct Vote {
  std::string key;
  std::uint32_t votes;
};
std::optional<Vote> decode_vote(std::string_view payload);

std::string encode_total(std::string_view key, std::uint64_t total);
struct Total {
  std::string key;
  std::uint64_t total;
};
// nullopt unless the payload is exactly 10 bytes.
std::optional<Total> decode_total(std::string_view payload);
// "ab=17", or the hex of a payload that is not a total; for reports.
std::string describe_total(const std::string& payload);

}  // namespace harness::alphabet
