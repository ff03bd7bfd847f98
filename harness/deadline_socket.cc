#include "harness/deadline_socket.h"

#include <algorithm>
#include <thread>

#include <boost/asio.hpp>

namespace harness {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

struct DeadlineSocket::Impl {
  asio::io_context io;
  tcp::socket socket{io};

  // Ends the operation in flight: it completes with operation_aborted.
  void abort() {
    error_code ignored;
    socket.close(ignored);
  }

  // Returns false if the deadline passed (after `cancel` made the operation end).
  template <typename Cancel>
  bool run_until(Clock::time_point deadline, Cancel cancel) {
    io.restart();
    io.run_until(deadline);
    if (io.stopped()) return true;
    cancel();
    io.run();
    return false;
  }

  error_code connect_once(const std::string& host, std::uint16_t port, Clock::time_point deadline) {
    abort();
    error_code result;
    tcp::resolver resolver(io);
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(host, std::to_string(port), [&](const error_code& ec, tcp::resolver::results_type r) {
      result = ec;
      endpoints = std::move(r);
    });
    if (!run_until(deadline, [&] { resolver.cancel(); })) return asio::error::timed_out;
    if (result) return result;
    asio::async_connect(socket, endpoints, [&](const error_code& ec, const tcp::endpoint&) { result = ec; });
    if (!run_until(deadline, [&] { abort(); })) return asio::error::timed_out;
    if (!result) socket.set_option(tcp::no_delay(true), result);
    if (result) abort();
    return result;
  }
};

DeadlineSocket::DeadlineSocket() : impl_(std::make_unique<Impl>()) {}

DeadlineSocket::~DeadlineSocket() = default;

error_code DeadlineSocket::connect(const std::string& host, std::uint16_t port, Clock::time_point deadline,
                                   const RetryPause& pause) {
  for (;;) {
    const error_code ec = impl_->connect_once(host, port, deadline);
    if (ec != asio::error::connection_refused || Clock::now() >= deadline) return ec;
    const auto retry_at = std::min(deadline, Clock::now() + kConnectRetryPause);
    if (pause) {
      if (!pause(retry_at)) return asio::error::operation_aborted;
    } else {
      // Nothing to await but the next attempt.
      std::this_thread::sleep_until(retry_at);
    }
    if (Clock::now() >= deadline) return ec;
  }
}

error_code DeadlineSocket::write(std::string_view bytes, Clock::time_point deadline) {
  error_code result;
  asio::async_write(impl_->socket, asio::buffer(bytes.data(), bytes.size()),
                    [&](const error_code& ec, std::size_t) { result = ec; });
  if (!impl_->run_until(deadline, [&] { impl_->abort(); })) return asio::error::timed_out;
  return result;
}

error_code DeadlineSocket::read(char* data, std::size_t size, Clock::time_point deadline) {
  error_code result;
  asio::async_read(impl_->socket, asio::buffer(data, size), [&](const error_code& ec, std::size_t) { result = ec; });
  if (!impl_->run_until(deadline, [&] { impl_->abort(); })) return asio::error::timed_out;
  return result;
}

bool DeadlineSocket::is_open() const { return impl_->socket.is_open(); }

void DeadlineSocket::close() {
  error_code ignored;
  if (impl_->socket.is_open()) impl_->socket.shutdown(tcp::socket::shutdown_send, ignored);
  impl_->socket.close(ignored);
}

}  // namespace harness
