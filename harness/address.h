#pragma once
// "host:port" addresses as the contract's command lines write them.
#include <cstdint>
#include <string>
#include <string_view>

namespace harness {

struct Address {
  std::string host;
  std::uint16_t port = 0;
  std::string to_string() const { return host + ":" + std::to_string(port); }
};

// Throws std::invalid_argument naming the text if it is not HOST:PORT with a port of 1..65535.
Address parse_address(std::string_view text);

}  // namespace harness
