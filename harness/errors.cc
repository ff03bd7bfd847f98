#include "harness/errors.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace harness {

std::string format_steps(const std::vector<int>& steps) { return fmt::format("{}", steps); }

AutoscaleError::AutoscaleError(std::string what, std::vector<int> steps, std::string last_answer,
                               std::string worker_output)
    : std::runtime_error(std::move(what)),
      steps_(std::move(steps)),
      last_answer_(std::move(last_answer)),
      worker_output_(std::move(worker_output)) {}

std::string AutoscaleError::report() const {
  std::string out = fmt::format("failed after {}: {}", format_steps(steps_), what());
  if (!last_answer_.empty()) out += "\nthe cluster last answered: " + last_answer_;
  if (!worker_output_.empty()) out += "\n" + worker_output_;
  return out;
}

}  // namespace harness
