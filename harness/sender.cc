#include "harness/sender.h"

#include <algorithm>
#include <stdexcept>

#include <boost/asio.hpp>
#include <boost/endian/conversion.hpp>
#include <fmt/format.h>

namespace harness {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

// A write that the peer does not take within this long means the receiving
// worker is stuck; the sender reports it instead of hanging the test.
constexpr std::chrono::seconds kWriteTimeout{30};
// Pause between connection attempts while the listener is not up yet.
constexpr std::chrono::milliseconds kConnectRetryPause{50};

// A blocking client with a deadline on every operation, after Boost.Asio's
// timeouts example (blocking_tcp_client.cpp): start the async operation, run
// the io_context for the time left, and on timeout close the socket so the
// operation completes with an error.
class DeadlineSocket {
 public:
  error_code connect(const std::string& host, std::uint16_t port, std::chrono::steady_clock::time_point deadline) {
    close();
    error_code result = asio::error::timed_out;
    tcp::resolver resolver(io_);
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(host, std::to_string(port), [&](const error_code& ec, tcp::resolver::results_type r) {
      result = ec;
      endpoints = std::move(r);
    });
    if (!run_until(deadline, [&] { resolver.cancel(); })) return asio::error::timed_out;
    if (result) return result;
    result = asio::error::timed_out;
    asio::async_connect(socket_, endpoints, [&](const error_code& ec, const tcp::endpoint&) { result = ec; });
    if (!run_until(deadline, [&] { close(); })) return asio::error::timed_out;
    if (!result) socket_.set_option(tcp::no_delay(true), result);
    return result;
  }

  error_code write(const std::string& bytes, std::chrono::steady_clock::time_point deadline) {
    error_code result = asio::error::timed_out;
    asio::async_write(socket_, asio::buffer(bytes), [&](const error_code& ec, std::size_t) { result = ec; });
    if (!run_until(deadline, [&] { close(); })) return asio::error::timed_out;
    return result;
  }

  // Half-closes then closes, so everything written is delivered before the FIN.
  void close() {
    error_code ignored;
    if (socket_.is_open()) socket_.shutdown(tcp::socket::shutdown_send, ignored);
    socket_.close(ignored);
  }

 private:
  // Returns false if the deadline passed (after `cancel` made the operation end).
  template <typename Cancel>
  bool run_until(std::chrono::steady_clock::time_point deadline, Cancel cancel) {
    io_.restart();
    io_.run_until(deadline);
    if (io_.stopped()) return true;
    cancel();
    io_.run();
    return false;
  }

  asio::io_context io_;
  tcp::socket socket_{io_};
};

}  // namespace

Sender::Sender(std::string host, std::uint16_t port, Reader& reader, SenderPace pace, bool reconnect,
               std::chrono::milliseconds connect_timeout)
    : host_(std::move(host)),
      port_(port),
      reader_(reader),
      pace_(pace),
      reconnect_(reconnect),
      connect_timeout_(connect_timeout) {}

Sender::~Sender() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void Sender::start() {
  if (thread_.joinable() || running_)
    throw std::logic_error(fmt::format("sender to {}:{} started twice", host_, port_));
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void Sender::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  wake_.notify_all();
}

std::optional<std::string> Sender::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

WaitResult Sender::join(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!thread_.joinable() && !finished_)
    return WaitResult::Failed(fmt::format("awaited the end of the sender to {}:{}, but it was never started", host_, port_));
  if (!wake_.wait_for(lock, timeout, [&] { return finished_; })) {
    return WaitResult::Failed(fmt::format(
        "awaited the end of the sender to {}:{} for {} ms (stop {}requested); last seen: still running, "
        "{} records ({} bytes) sent",
        host_, port_, timeout.count(), stop_requested_ ? "" : "not ", records_sent_.load(), bytes_sent_.load()));
  }
  std::optional<std::string> error = error_;
  lock.unlock();
  if (thread_.joinable()) thread_.join();
  if (error)
    return WaitResult::Failed(fmt::format("the sender to {}:{} failed after sending {} records: {}", host_, port_,
                                          records_sent_.load(), *error));
  return WaitResult::Ok();
}

void Sender::run() {
  const std::string where = fmt::format("{}:{}", host_, port_);
  DeadlineSocket socket;
  auto fail = [&](std::string message) {
    std::lock_guard lock(mutex_);
    error_ = std::move(message);
  };
  // Retries refused connections (the listener may not be up yet) until the
  // connect timeout. `give_up_on_stop`: nothing is pending, so stop() may
  // end the attempts early.
  auto connect = [&](bool give_up_on_stop, const std::string& why) {
    const auto deadline = std::chrono::steady_clock::now() + connect_timeout_;
    for (;;) {
      const error_code ec = socket.connect(host_, port_, deadline);
      if (!ec) return true;
      if (ec == asio::error::connection_refused && std::chrono::steady_clock::now() < deadline) {
        const auto retry_at = std::min(deadline, std::chrono::steady_clock::now() + kConnectRetryPause);
        std::unique_lock lock(mutex_);
        if (wake_.wait_until(lock, retry_at, [&] { return give_up_on_stop && stop_requested_.load(); }))
          return false;
        if (std::chrono::steady_clock::now() < deadline) continue;
      }
      fail(fmt::format("could not connect to {}{} within {} ms: {}", where, why, connect_timeout_.count(),
                       ec.message()));
      return false;
    }
  };

  try {
    if (connect(true, "")) {
      std::vector<std::string> batch;
      std::string bytes;
      bool exhausted = false;
      while (!exhausted && !stop_requested_) {
        batch.clear();
        bytes.clear();
        while (batch.size() < std::max<std::size_t>(pace_.batch_size, 1)) {
          std::optional<std::string> record = reader_.next();
          if (!record) {
            exhausted = true;
            break;
          }
          unsigned char header[4];
          boost::endian::store_big_u32(header, static_cast<std::uint32_t>(record->size()));
          bytes.append(reinterpret_cast<const char*>(header), sizeof header);
          bytes.append(*record);
          batch.push_back(std::move(*record));
        }
        if (batch.empty()) break;
        bool written = false;
        while (!written) {
          const error_code ec = socket.write(bytes, std::chrono::steady_clock::now() + kWriteTimeout);
          if (!ec) {
            written = true;
          } else if (!reconnect_) {
            fail(fmt::format("writing a batch of {} records to {} failed: {}", batch.size(), where, ec.message()));
            break;
          } else if (!connect(false, fmt::format(" again after a failed write ({})", ec.message()))) {
            break;
          }
          // Reconnected: the whole batch is sent again. Records of it that
          // reached the old connection before it broke arrive twice.
        }
        if (!written) break;
        for (const std::string& payload : batch) reader_.sent(payload);
        records_sent_ += batch.size();
        bytes_sent_ += bytes.size();
        if (pace_.interval.count() > 0) {
          // The pace of the traffic; stop() cuts the pause short.
          std::unique_lock lock(mutex_);
          wake_.wait_for(lock, pace_.interval, [&] { return stop_requested_.load(); });
        }
      }
    }
  } catch (const std::exception& e) {
    fail(fmt::format("sending to {} stopped by an error: {}", where, e.what()));
  }
  socket.close();
  {
    std::lock_guard lock(mutex_);
    finished_ = true;
    running_ = false;
  }
  wake_.notify_all();
}

}  // namespace harness
