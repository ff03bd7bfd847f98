#pragma once
// A TCP client (Boost.Asio) that sends a Reader's records to a source port as
// u32-big-endian-length-framed frames, `batch_size` records every `interval`.
// It runs on its own thread. An error is kept and reported, never swallowed.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "harness/reader.h"
#include "harness/wait_result.h"

namespace harness {

struct SenderPace {
  std::size_t batch_size = 10;
  std::chrono::milliseconds interval{50};  // 0: as fast as the socket takes them
};

class Sender {
 public:
  // `reader` must outlive the Sender.
  Sender(std::string host, std::uint16_t port, Reader& reader, SenderPace pace = {},
         bool reconnect = false, std::chrono::milliseconds connect_timeout = std::chrono::seconds(10));
  // Stops and joins the thread.
  ~Sender();
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  void start();
  // Asks the sender to finish: the batch being sent is completed and
  // flushed, then the connection is closed.
  void stop();
  // Waits for the thread to end (after stop() or the reader running out).
  // Fails if it did not end in time or if sending failed (with the error).
  [[nodiscard]] WaitResult join(std::chrono::milliseconds timeout);

  bool running() const { return running_; }
  std::uint64_t records_sent() const { return records_sent_; }
  std::uint64_t bytes_sent() const { return bytes_sent_; }
  std::optional<std::string> error() const;

 private:
  void run();

  std::string host_;
  std::uint16_t port_;
  Reader& reader_;
  SenderPace pace_;
  bool reconnect_;
  std::chrono::milliseconds connect_timeout_;

  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> records_sent_{0};
  std::atomic<std::uint64_t> bytes_sent_{0};
  mutable std::mutex mutex_;
  std::condition_variable wake_;  // stop requested or thread finished (under mutex_)
  bool finished_ = false;         // under mutex_
  std::optional<std::string> error_;
  std::thread thread_;
};

}  // namespace harness
