#pragma once
// An error of an autoscale run carrying what a report needs: the ops done so
// far, what was awaited, the cluster's last answer and the workers' output.
#include <stdexcept>
#include <string>
#include <vector>

namespace harness {

class AutoscaleError : public std::runtime_error {
 public:
  AutoscaleError(std::string what, std::vector<int> steps, std::string last_answer = {},
                 std::string worker_output = {});

  const std::vector<int>& steps() const { return steps_; }
  const std::string& last_answer() const { return last_answer_; }
  const std::string& worker_output() const { return worker_output_; }
  // "failed after [4, -1, 4]: <what>\nthe cluster last answered: ...\n<worker output>"
  std::string report() const;

 private:
  std::vector<int> steps_;
  std::string last_answer_;
  std::string worker_output_;
};

// "[4, -1, 4]"
std::string format_steps(const std::vector<int>& steps);

}  // namespace harness
