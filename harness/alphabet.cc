#include "harness/alphabet.h"

#include <algorithm>

#include <boost/endian/conversion.hpp>
#include <fmt/format.h>

#include "harness/sink_await.h"


namespace harness::alphabet {
namespace {

std::vector<std::string> make_letter_keys() {
  std::vector<std::string> keys;
  keys.reserve(26 * 26);
  for (char a = 'a'; a <= 'z'; ++a)
    for (char b = 'a'; b <= 'z'; ++b) keys.push_back(std::string{a, b});
  return keys;
}

}  // namespace

const std::vector<std::string>& letter_keys() {
  static const std::vector<std::string> keys = make_letter_keys();
  return keys;
}

const std::vector<std::string>& partition_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> all = make_letter_keys();
    all.emplace_back(kExtraKey);
    return all;
  }();
  return keys;
}

bool is_partition_key(std::string_view key) {
  if (key == kExtraKey) return true;
  return key.size() == 2 && key[0] >= 'a' && key[0] <= 'z' && key[1] >= 'a' && key[1] <= 'z';
}

std::string encode_vote(std::string_view key, std::uint32_t votes) {
  std::string out(key.substr(0, 2));
  out.resize(6);
  boost::endian::store_big_u32(reinterpret_cast<unsigned char*>(out.data() + 2), votes);
  return out;
}

std::optional<Vote> decode_vote(std::string_view payload) {
  if (payload.size() != 6) return std::nullopt;
  return Vote{std::string(payload.substr(0, 2)),
              boost::endian::load_big_u32(reinterpret_cast<const unsigned char*>(payload.data() + 2))};
}

std::string encode_total(std::string_view key, std::uint64_t total) {
  std::string out(key.substr(0, 2));
  out.resize(10);
  boost::endian::store_big_u64(reinterpret_cast<unsigned char*>(out.data() + 2), total);
  return out;
}

std::optional<Total> decode_total(std::string_view payload) {
  if (payload.size() != 10) return std::nullopt;
  return Total{std::string(payload.substr(0, 2)),
               boost::endian::load_big_u64(reinterpret_cast<const unsigned char*>(payload.data() + 2))};
}

std::string describe_total(const std::string& payload) {
  if (auto total = decode_total(payload)) return fmt::format("{}={}", total->key, total->total);
  return hex_payload(payload);
}

}  // namespace harness::alphabet
