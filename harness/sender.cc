#include "harness/sender.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/error.hpp>
#include <boost/endian/conversion.hpp>
#include <fmt/format.h>

#include "harness/deadline_socket.h"

namespace harness {
namespace {

// A write that the peer does not take within this long means the receiving
// worker is stuck; the sender reports it instead of hanging the test.
constexpr std::chrono::seconds kWriteTimeout{30};

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
  // The socket retries refused connections (the listener may not be up yet)
  // until the connect timeout. `give_up_on_stop`: nothing is pending, so
  // stop() may end the attempts early.
  auto connect = [&](bool give_up_on_stop, const std::string& why) {
    const auto deadline = std::chrono::steady_clock::now() + connect_timeout_;
    const auto pause = [&](std::chrono::steady_clock::time_point retry_at) {
      std::unique_lock lock(mutex_);
      return !wake_.wait_until(lock, retry_at, [&] { return give_up_on_stop && stop_requested_.load(); });
    };
    const boost::system::error_code ec = socket.connect(host_, port_, deadline, pause);
    if (!ec) return true;
    if (ec == boost::asio::error::operation_aborted) return false;  // stopped while waiting to retry
    fail(fmt::format("could not connect to {}{} within {} ms: {}", where, why, connect_timeout_.count(), ec.message()));
    return false;
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
          const boost::system::error_code ec = socket.write(bytes, std::chrono::steady_clock::now() + kWriteTimeout);
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
