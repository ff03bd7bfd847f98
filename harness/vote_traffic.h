#pragma once
// The traffic of a scenario: one vote per record for keys cycling aa, ab, ...
// zz, sent to a cluster's source at a pace, every vote really sent counted in
// a VoteLedger. It owns the ledger, the reader and the sender, in the order
// their lifetimes need.
#include <chrono>
#include <memory>
#include <string>

#include "harness/address.h"
#include "harness/reader.h"
#include "harness/sender.h"
#include "harness/tcp_receiver.h"
#include "harness/vote_ledger.h"
#include "harness/wait_result.h"

namespace harness {

class VoteTraffic {
 public:
  VoteTraffic(Address source, SenderPace pace);
  ~VoteTraffic();  // stops the sender
  VoteTraffic(const VoteTraffic&) = delete;  // the reader's hook points at this ledger
  VoteTraffic& operator=(const VoteTraffic&) = delete;

  void start();
  // Stops the sender after its current batch and waits for it; fails with
  // the sender's error, or if it did not end in time.
  [[nodiscard]] WaitResult stop(std::chrono::milliseconds timeout);
  // Waits until `sink` has received every key's final total (after stop()).
  [[nodiscard]] WaitResult await_final_totals(const TCPReceiver& sink, std::chrono::milliseconds timeout) const;
  // Empty when each key's totals at the sink are exactly 1..n, else what is wrong.
  std::string check_exactly_once(const TCPReceiver& sink) const;

  const VoteLedger& ledger() const { return ledger_; }

 private:
  Address source_;
  SenderPace pace_;
  // Destroyed in reverse: the sender stops before the reader and ledger it uses go.
  VoteLedger ledger_;
  Reader reader_;
  std::unique_ptr<Sender> sender_;
};

}  // namespace harness
