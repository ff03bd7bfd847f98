#pragma once
// A blocking TCP client connection with a deadline on every operation, after
// Boost.Asio's timeouts example (blocking_tcp_client.cpp): each call starts
// the async operation, runs a private io_context until the deadline, and on
// timeout cancels it so that the call returns instead of hanging a test.
// Boost.Asio stays in the .cc; only the light error_code header is included.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

namespace harness {

class DeadlineSocket {
 public:
  using Clock = std::chrono::steady_clock;
  // Waits between connection attempts until `retry_at`; returns false to give up.
  using RetryPause = std::function<bool(Clock::time_point retry_at)>;
  // How long a refused connection waits before the next attempt.
  static constexpr std::chrono::milliseconds kConnectRetryPause{50};

  DeadlineSocket();
  ~DeadlineSocket();
  DeadlineSocket(const DeadlineSocket&) = delete;
  DeadlineSocket& operator=(const DeadlineSocket&) = delete;

  // Connects to host:port (closing any earlier connection), with TCP_NODELAY.
  // A refused connection (the listener may not be up yet) is tried again
  // every kConnectRetryPause until `deadline`; `pause` does the waiting
  // (default: sleeps) and may give up, which returns
  // boost::asio::error::operation_aborted. A deadline passed during an
  // attempt returns boost::asio::error::timed_out; any other failure returns
  // the last attempt's error. On failure the socket is closed.
  boost::system::error_code connect(const std::string& host, std::uint16_t port, Clock::time_point deadline,
                                    const RetryPause& pause = {});

  // All of `bytes`, or timed_out (the socket is then closed) or the error.
  boost::system::error_code write(std::string_view bytes, Clock::time_point deadline);
  // Exactly `size` bytes, or timed_out (the socket is then closed), eof or the error.
  boost::system::error_code read(char* data, std::size_t size, Clock::time_point deadline);

  bool is_open() const;
  // Shuts the socket down and closes it (what was written is already with the kernel).
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace harness
