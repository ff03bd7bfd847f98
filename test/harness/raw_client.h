#pragma once
// A test-only TCP client that writes arbitrary bytes (malformed frames, lines)
// to a server the test owns, and can tell whether the server closed it.
// Every operation is bounded, as in Boost.Asio's timeouts example.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio.hpp>
#include <boost/endian/conversion.hpp>

namespace harness_test {

// `payload` behind its u32 big-endian length header, as the wire carries it.
inline std::string framed(const std::string& payload) {
  std::string out(4, '\0');
  boost::endian::store_big_u32(reinterpret_cast<unsigned char*>(out.data()), static_cast<std::uint32_t>(payload.size()));
  return out + payload;
}

class RawClient {
 public:
  RawClient(const std::string& host, std::uint16_t port) {
    socket_.connect({boost::asio::ip::make_address(host), port});  // a listening loopback server: immediate
  }

  void write(std::string_view bytes) { boost::asio::write(socket_, boost::asio::buffer(bytes.data(), bytes.size())); }

  // No more bytes from us; the server reads end-of-stream.
  void shutdown_send() { socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_send); }

  // True if the server closes the connection within `timeout` (any bytes it
  // sends are skipped).
  bool closed_by_peer_within(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      boost::system::error_code result = boost::asio::error::timed_out;
      socket_.async_read_some(boost::asio::buffer(buffer_),
                              [&](const boost::system::error_code& ec, std::size_t) { result = ec; });
      io_.restart();
      io_.run_until(deadline);
      if (!io_.stopped()) {
        socket_.cancel();
        io_.run();
        return false;
      }
      if (result) return true;  // eof or reset
    }
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_{io_};
  char buffer_[4096];
};

}  // namespace harness_test
