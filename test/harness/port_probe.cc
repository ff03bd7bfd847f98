// Helper of ports_test: allocates ports from a shared registry in a port
// range, prints them, and holds them until SIGTERM.
//   port_probe REGISTRY FIRST-LAST
// Prints "waiting", waits for SIGUSR1 (so that two probes start allocating at
// the same moment), allocates until the range is exhausted, prints one
// "port N" line per port and then "holding N", and holds them until SIGTERM.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "harness/ports.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s REGISTRY FIRST-LAST\n", argv[0]);
    return 2;
  }
  ::setenv("AUTOSCALE_PORT_RANGE", argv[2], 1);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGUSR1);
  sigaddset(&signals, SIGTERM);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  std::printf("waiting\n");
  std::fflush(stdout);
  int received = 0;
  while (sigwait(&signals, &received) == 0 && received != SIGUSR1) {
    if (received == SIGTERM) return 0;
  }
  harness::PortAllocator ports("127.0.0.1", argv[1]);
  for (;;) {
    try {
      std::printf("port %u\n", static_cast<unsigned>(ports.allocate()));
    } catch (const std::runtime_error& e) {
      std::printf("exhausted: %s\n", e.what());
      break;
    }
  }
  std::printf("holding %zu\n", ports.held());
  std::fflush(stdout);
  while (sigwait(&signals, &received) == 0 && received != SIGTERM) {
  }
  return 0;
}
