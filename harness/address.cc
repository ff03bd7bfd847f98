#include "harness/address.h"

#include <charconv>
#include <stdexcept>

namespace harness {

Address parse_address(std::string_view text) {
  const auto colon = text.rfind(':');
  const auto bad = [&](const char* why) {
    return std::invalid_argument("bad address \"" + std::string(text) + "\": " + why + " (expected HOST:PORT)");
  };
  if (colon == std::string_view::npos || colon == 0) throw bad("no host");
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port_text.empty())
    throw bad("the port is not a number");
  if (port == 0 || port > 65535) throw bad("the port is out of range");
  return Address{std::string(text.substr(0, colon)), static_cast<std::uint16_t>(port)};
}

}  // namespace harness
