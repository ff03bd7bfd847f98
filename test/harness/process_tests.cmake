# Tests of the process side of the harness: Runner, RunnerChecker,
# PortAllocator, TempDir and Cluster (with a fake worker script).

# Allocates ports in its own process: ports_test starts two at once to show
# that two processes never get the same port.
add_executable(port_probe ${CMAKE_CURRENT_LIST_DIR}/port_probe.cc)
target_link_libraries(port_probe PRIVATE harness)

# A test process that starts a worker and is then killed: runner_test shows
# the worker does not outlive it.
add_executable(runner_parent_probe ${CMAKE_CURRENT_LIST_DIR}/runner_parent_probe.cc)
target_link_libraries(runner_parent_probe PRIVATE harness)

# A test process holding a directory, a port and a worker, to be interrupted.
add_executable(interrupt_probe ${CMAKE_CURRENT_LIST_DIR}/interrupt_probe.cc)
target_link_libraries(interrupt_probe PRIVATE harness)

autoscale_add_gtest(harness_process_test
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/runner_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/runner_checker_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/ports_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/temp_dir_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/cluster_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/interrupt_cleanup_test.cc
  LABELS unit
  TIMEOUT 120)
target_compile_definitions(harness_process_test PRIVATE PORT_PROBE_PATH="$<TARGET_FILE:port_probe>"
  RUNNER_PARENT_PROBE_PATH="$<TARGET_FILE:runner_parent_probe>"
  INTERRUPT_PROBE_PATH="$<TARGET_FILE:interrupt_probe>")
add_dependencies(harness_process_test port_probe runner_parent_probe interrupt_probe)
