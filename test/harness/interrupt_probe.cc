// Helper of interrupt_cleanup_test: a test process that holds a temporary
// directory, a port from the registry given, and a worker (`sleep`), prints
// them, then waits to be interrupted or killed.
//   interrupt_probe REGISTRY
#include <unistd.h>

#include <cstdio>

#include "harness/ports.h"
#include "harness/runner.h"
#include "harness/temp_dir.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s REGISTRY\n", argv[0]);
    return 2;
  }
  harness::TempDir dir("interrupt-probe.");
  harness::PortAllocator ports("127.0.0.1", argv[1]);
  const auto port = ports.allocate();
  harness::Runner worker("worker", {"/bin/sleep", "1000"}, dir.path() / "worker.log");
  worker.start();
  std::printf("dir %s\nport %u\nworker %d\nready\n", dir.path().c_str(), static_cast<unsigned>(port),
              static_cast<int>(worker.pid()));
  std::fflush(stdout);
  for (;;) ::pause();
}
