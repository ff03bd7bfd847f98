#pragma once
// What a test process must not leave behind even when it is interrupted
// (Ctrl-C on ctest, SIGTERM, a closed terminal): its temporary directories
// and port lock files. Registered paths are removed by a watcher thread when
// SIGINT, SIGTERM or SIGHUP arrives; then the signal takes its default course,
// so the exit status still tells what happened. (Workers die on their own:
// see Runner. A SIGKILLed test process cannot clean up; TempDir and
// PortAllocator sweep what such a process left when the next one starts.)
#include <filesystem>

namespace harness {

// Removes `path` (recursively) if the process is interrupted.
void remove_on_interrupt(const std::filesystem::path& path);
// No longer: the owner removed it, or keeps it on purpose.
void forget_on_interrupt(const std::filesystem::path& path);

}  // namespace harness
