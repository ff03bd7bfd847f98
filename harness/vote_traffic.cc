#include "harness/vote_traffic.h"

#include "harness/alphabet.h"
#include "harness/sink_await.h"

namespace harness {

VoteTraffic::VoteTraffic(Address source, SenderPace pace)
    : source_(std::move(source)), pace_(pace), reader_(ledger_.make_reader()) {}

VoteTraffic::~VoteTraffic() = default;

void VoteTraffic::start() {
  sender_ = std::make_unique<Sender>(source_.host, source_.port, reader_, pace_);
  sender_->start();
}

WaitResult VoteTraffic::stop(std::chrono::milliseconds timeout) {
  if (!sender_) return WaitResult::Failed("the traffic to " + source_.to_string() + " was never started");
  sender_->stop();
  return sender_->join(timeout);
}

WaitResult VoteTraffic::await_final_totals(const TCPReceiver& sink, std::chrono::milliseconds timeout) const {
  if (ledger_.total_sent() == 0) return WaitResult::Failed("no record was sent to " + source_.to_string());
  return SinkAwaitValue(sink, ledger_.final_total_frames(), timeout, alphabet::describe_total).wait();
}

std::string VoteTraffic::check_exactly_once(const TCPReceiver& sink) const {
  return ledger_.check_exactly_once(sink.snapshot());
}

}  // namespace harness
