#pragma once
// The harness is gtest-free; its waits return WaitResult. Passed() turns one
// into an AssertionResult so a failure prints the wait's own report.
#include <gtest/gtest.h>

#include "harness/wait_result.h"

namespace harness_test {

inline ::testing::AssertionResult Passed(const harness::WaitResult& result) {
  if (result.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << result.message();
}

}  // namespace harness_test
