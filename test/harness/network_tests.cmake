# The harness's network side and its pure data helpers (label `unit`).
# Real loopback TCP throughout; the only fake is the external-channel server
# that isolates ExternalClient.
autoscale_add_gtest(harness_network_test
  SOURCES
    reader_test.cc
    sender_sink_test.cc
    tcp_receiver_test.cc
    sink_await_test.cc
    external_client_test.cc
  LABELS unit
  TIMEOUT 120)

autoscale_add_gtest(harness_data_test
  SOURCES
    observability_test.cc
    metrics_data_test.cc
    scenario_plan_test.cc
    alphabet_test.cc
    vote_ledger_test.cc
    cluster_view_test.cc
  LABELS unit
  TIMEOUT 60)
