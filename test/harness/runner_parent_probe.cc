// Helper of runner_test: a "test process" that starts one worker through a
// Runner (`sleep 1000`), prints "worker PID", and then waits to be killed.
// runner_test SIGKILLs it, as ctest does to a timed-out test, and checks that
// the worker, in its own process group, dies with it.
#include <unistd.h>

#include <cstdio>

#include "harness/runner.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s LOG_PATH\n", argv[0]);
    return 2;
  }
  harness::Runner worker("orphan-candidate", {"/bin/sleep", "1000"}, argv[1]);
  worker.start();
  std::printf("worker %d\n", static_cast<int>(worker.pid()));
  std::fflush(stdout);
  ::pause();  // until killed
  return 0;
}
