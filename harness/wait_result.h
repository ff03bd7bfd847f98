#pragma once
// The outcome of every bounded wait in the harness. The harness stays free of
// gtest (operator tools link it too); fixtures turn a WaitResult into a
// ::testing::AssertionResult. A failure always says what was awaited and what
// was last seen.
#include <string>
#include <utility>

namespace harness {

class [[nodiscard]] WaitResult {
 public:
  static WaitResult Ok() { return WaitResult(true, {}); }
  static WaitResult Failed(std::string message) { return WaitResult(false, std::move(message)); }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  // Empty when ok(); otherwise what was awaited, for how long, and what was
  // last seen (each wait words it for its own subject).
  const std::string& message() const { return message_; }

 private:
  WaitResult(bool ok, std::string message) : ok_(ok), message_(std::move(message)) {}
  bool ok_;
  std::string message_;
};

}  // namespace harness
