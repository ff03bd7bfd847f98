#include "harness/sink_await.h"

#include <optional>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace harness {
namespace {

// How many missing payloads a timeout message names before it only counts.
constexpr std::size_t kListedMissing = 40;

// What a predicate saw last. Kept small: the predicate runs under the
// receiver's lock, so it copies the facts and the message is built after.
struct LastSeen {
  std::size_t count = 0;
  std::optional<std::string> last_payload;

  void update(const std::vector<ReceivedRecord>& records) {
    count = records.size();
    if (!records.empty()) last_payload = records.back().payload;
  }
  std::string describe(const TCPReceiver& receiver, const PayloadDescriber& describe_payload) const {
    std::string seen = fmt::format("{} records on {} connections", count, receiver.connections_accepted());
    if (last_payload) seen += fmt::format(", the last {}", describe_payload(*last_payload));
    return seen;
  }
};

}  // namespace

std::string hex_payload(const std::string& payload) {
  std::string hex = fmt::format("{} bytes:", payload.size());
  for (unsigned char c : payload) hex += fmt::format(" {:02x}", c);
  return hex;
}

SinkAwaitValue::SinkAwaitValue(const TCPReceiver& receiver, std::vector<std::string> payloads,
                               std::chrono::milliseconds timeout, PayloadDescriber describe)
    : receiver_(receiver), payloads_(std::move(payloads)), timeout_(timeout), describe_(std::move(describe)) {}

WaitResult SinkAwaitValue::wait() {
  // Scanned incrementally: each call of the predicate looks only at records
  // that arrived since the last one, so waiting on a million is cheap.
  std::unordered_set<std::string> missing(payloads_.begin(), payloads_.end());
  std::size_t scanned = 0;
  LastSeen seen;
  const bool done = receiver_.wait_until(
      [&](const std::vector<ReceivedRecord>& records) {
        for (; scanned < records.size() && !missing.empty(); ++scanned) missing.erase(records[scanned].payload);
        seen.update(records);
        return missing.empty();
      },
      std::chrono::steady_clock::now() + timeout_);
  if (done) return WaitResult::Ok();

  // Report in the caller's order, not the hash set's.
  std::vector<std::string> listed;
  for (const std::string& payload : payloads_) {
    if (listed.size() == kListedMissing) break;
    if (missing.count(payload)) listed.push_back(describe_(payload));
  }
  std::string message = fmt::format("awaited {} expected records at {} for {} ms; {} still missing: {}",
                                    payloads_.size(), receiver_.address(), timeout_.count(), missing.size(),
                                    fmt::join(listed, ", "));
  if (missing.size() > listed.size()) message += fmt::format(" (and {} more)", missing.size() - listed.size());
  return WaitResult::Failed(message + "; last seen: " + seen.describe(receiver_, describe_));
}

SinkExpect::SinkExpect(const TCPReceiver& receiver, std::size_t count, std::chrono::milliseconds timeout)
    : receiver_(receiver), count_(count), timeout_(timeout) {}

WaitResult SinkExpect::wait() {
  LastSeen seen;
  const bool done = receiver_.wait_until(
      [&](const std::vector<ReceivedRecord>& records) {
        seen.update(records);
        return records.size() >= count_;
      },
      std::chrono::steady_clock::now() + timeout_);
  if (done) return WaitResult::Ok();
  return WaitResult::Failed(fmt::format("awaited at least {} records at {} for {} ms; last seen: {}", count_,
                                        receiver_.address(), timeout_.count(), seen.describe(receiver_, hex_payload)));
}

}  // namespace harness
