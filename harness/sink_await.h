#pragma once
// Bounded waits on a receiver's records.
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "harness/tcp_receiver.h"
#include "harness/wait_result.h"

namespace harness {

// Turns a payload into words for a report (e.g. "key ab total 17").
using PayloadDescriber = std::function<std::string(const std::string& payload)>;
std::string hex_payload(const std::string& payload);

// Waits until every one of `payloads` has been received at least once.
// The timeout message lists what is still missing (up to a few dozen, then a count).
class SinkAwaitValue {
 public:
  SinkAwaitValue(const TCPReceiver& receiver, std::vector<std::string> payloads,
                 std::chrono::milliseconds timeout, PayloadDescriber describe = hex_payload);
  [[nodiscard]] WaitResult wait();

 private:
  const TCPReceiver& receiver_;
  std::vector<std::string> payloads_;
  std::chrono::milliseconds timeout_;
  PayloadDescriber describe_;
};

// Waits until the receiver holds at least `count` records.
class SinkExpect {
 public:
  SinkExpect(const TCPReceiver& receiver, std::size_t count, std::chrono::milliseconds timeout);
  [[nodiscard]] WaitResult wait();

 private:
  const TCPReceiver& receiver_;
  std::size_t count_;
  std::chrono::milliseconds timeout_;
};

}  // namespace harness
