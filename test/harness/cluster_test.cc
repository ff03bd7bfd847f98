// Cluster with a fake worker (a shell script that prints its arguments and
// then runs, exits or ignores SIGTERM as its --name says): the contract's
// command lines, crash detection, stop and clean-up.
#include "harness/cluster.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <string>

#include <atomic>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/endian/conversion.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/runner_checker.h"
#include "harness/temp_dir.h"
#include "test/harness/process_test_support.h"
#include "fixtures/assertions.h"

namespace {

using harness::Cluster;
using harness::ClusterOptions;
using harness::Runner;
using autoscale::Passed;
using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Args = std::vector<std::string>;

// Behaviour by name, from files next to the script: <name>.exit holds an exit
// status to exit with at once; <name>.ignore-term makes it ignore SIGTERM.
constexpr const char* kFakeWorker = R"sh(#!/bin/sh
name=
previous=
for arg in "$@"; do
  [ "$previous" = --name ] && name=$arg
  previous=$arg
done
echo "argv: $*"
dir=$(dirname "$0")
if [ -f "$dir/$name.exit" ]; then exit "$(cat "$dir/$name.exit")"; fi
if [ -f "$dir/$name.ignore-term" ]; then trap '' TERM; else trap 'exit 0' TERM; fi
echo "running as $name"
while :; do sleep 1000 & wait $!; done
)sh";

std::string join(const Args& parts, const std::string& separator) {
  std::string joined;
  for (const auto& part : parts) joined += (joined.empty() ? "" : separator) + part;
  return joined;
}

std::string value_of(const Args& argv, const std::string& flag) {
  auto it = std::find(argv.begin(), argv.end(), flag);
  return it == argv.end() || it + 1 == argv.end() ? std::string() : *(it + 1);
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override { std::ofstream(script_) << kFakeWorker; }

  ClusterOptions options(int initial_workers, int sources = 1) {
    ClusterOptions options;
    options.command = {"/bin/sh", script_.string()};
    options.initial_workers = initial_workers;
    options.sources = sources;
    options.sink_address = "127.0.0.1:7001";
    options.metrics_address = "127.0.0.1:7002";
    options.work_dir = dir_.path() / "work";
    return options;
  }
  void behave(const std::string& name, const std::string& behaviour, const std::string& content = "") {
    std::ofstream(dir_.path() / (name + "." + behaviour)) << content;
  }
  Args common(const Cluster& cluster, const std::string& in, const std::string& name) {
    return {"/bin/sh",        script_.string(),      "--in",   in,   "--out",
            "127.0.0.1:7001", "--metrics",           "127.0.0.1:7002",
            "--resilience-dir", (dir_.path() / "work" / "resilience").string(),
            "--name",         name,                  "--ponythreads=1", "--ponypinasio", "--ponynoblock"};
  }
  // Starts the cluster and waits until every fake has set up its SIGTERM
  // handling, so that a signal sent by the test meets the intended behaviour.
  void start_and_await(Cluster& cluster) {
    cluster.start();
    await_running(cluster.runners());
  }
  void await_running(const std::vector<Runner*>& runners) {
    for (Runner* runner : runners) {
      SCOPED_TRACE(runner->name());
      ASSERT_TRUE(Passed(harness::wait_for_ready(*runner, "^running as ", 10s)));
    }
  }
  // The worker really got what the runner was given (its first log line).
  void expect_logged_argv(Runner& runner) {
    ASSERT_TRUE(Passed(harness::wait_for_ready(runner, "^running as ", 10s)));
    Args args(runner.argv().begin() + 2, runner.argv().end());
    EXPECT_EQ(runner.output().substr(0, runner.output().find('\n')), "argv: " + join(args, " "));
  }

  harness::TempDir dir_{"cluster_test."};
  std::filesystem::path script_ = dir_.path() / "fake_worker.sh";
  harness::PortAllocator ports_;
};

TEST_F(ClusterTest, InitialWorkersGetTheContractCommandLines) {
  Cluster cluster(options(3, 2), ports_);
  cluster.start();
  auto runners = cluster.runners();
  ASSERT_EQ(runners.size(), 3u);
  EXPECT_THAT(cluster.member_names(), ElementsAre("initializer", "worker1", "worker2"));

  const Args& init = runners[0]->argv();
  const std::string in = value_of(init, "--in");
  EXPECT_EQ(in.substr(0, in.find(',')), cluster.source_address());
  EXPECT_EQ(std::count(in.begin(), in.end(), ','), 1) << "two sources: " << in;
  Args expected = common(cluster, in, "initializer");
  for (const auto& arg : Args{"--cluster-initializer", "--worker-count", "3", "--control", cluster.control_address(),
                              "--data", value_of(init, "--data"), "--external", cluster.external_address()})
    expected.push_back(arg);
  EXPECT_EQ(init, expected);

  std::set<std::string> addresses{in.substr(0, in.find(',')), in.substr(in.find(',') + 1),
                                  cluster.control_address(), value_of(init, "--data"), cluster.external_address()};
  for (int i = 1; i <= 2; ++i) {
    const std::string name = "worker" + std::to_string(i);
    SCOPED_TRACE(name);
    const Args& argv = runners[i]->argv();
    Args expected_worker = common(cluster, in, name);
    for (const auto& arg : Args{"--my-control", value_of(argv, "--my-control"), "--my-data",
                                value_of(argv, "--my-data"), "--control", cluster.control_address()})
      expected_worker.push_back(arg);
    EXPECT_EQ(argv, expected_worker);
    addresses.insert(value_of(argv, "--my-control"));
    addresses.insert(value_of(argv, "--my-data"));
    EXPECT_EQ(runners[i]->log_path(), dir_.path() / "work" / "logs" / (name + ".log"));
  }
  EXPECT_EQ(addresses.size(), 9u) << "every listen address is its own port: " << join({addresses.begin(), addresses.end()}, " ");
  for (const auto& address : addresses) EXPECT_EQ(address.rfind("127.0.0.1:", 0), 0u) << address;
  for (Runner* runner : runners) {
    SCOPED_TRACE(runner->name());
    expect_logged_argv(*runner);
  }
}

TEST_F(ClusterTest, JoinersGetJoinAndTheirStepsWorkerCount) {
  Cluster cluster(options(1), ports_);
  ASSERT_NO_FATAL_FAILURE(start_and_await(cluster));
  auto first_step = cluster.grow(2);
  auto second_step = cluster.grow(1);
  ASSERT_EQ(first_step.size(), 2u);
  ASSERT_EQ(second_step.size(), 1u);
  EXPECT_EQ(first_step[0]->name(), "worker1");
  EXPECT_EQ(first_step[1]->name(), "worker2");
  EXPECT_EQ(second_step[0]->name(), "worker3");
  const std::string in = value_of(cluster.initializer().argv(), "--in");
  for (auto [joiner, step_size] : {std::pair{first_step[0], "2"}, {first_step[1], "2"}, {second_step[0], "1"}}) {
    SCOPED_TRACE(joiner->name());
    const Args& argv = joiner->argv();
    Args expected = common(cluster, in, joiner->name());
    for (const auto& arg : Args{"--my-control", value_of(argv, "--my-control"), "--my-data",
                                value_of(argv, "--my-data"), "--join", cluster.control_address(),
                                "--worker-count", step_size})
      expected.push_back(arg);
    EXPECT_EQ(argv, expected);
    EXPECT_NE(value_of(argv, "--my-control"), value_of(argv, "--my-data"));
    expect_logged_argv(*joiner);
  }
  EXPECT_THAT(cluster.member_names(), ElementsAre("initializer", "worker1", "worker2", "worker3"));
}

TEST_F(ClusterTest, WorkerThatExitsNonZeroIsReportedAsCrashed) {
  behave("worker2", "exit", "1");
  Cluster cluster(options(3), ports_);
  cluster.start();
  ASSERT_NO_FATAL_FAILURE(await_running({cluster.runners()[0], cluster.runners()[1]}));
  ASSERT_TRUE(cluster.runners()[2]->wait_for(10s));
  EXPECT_THAT(cluster.crashed(), ElementsAre("worker2: exited 1"));
  // Asking it to leave afterwards does not excuse a non-zero exit.
  cluster.expect_exit({cluster.runners()[2]});
  EXPECT_THAT(cluster.crashed(), ElementsAre("worker2: exited 1"));
  EXPECT_THAT(cluster.stop().exited_nonzero, ElementsAre("worker2: exited 1"));
}

TEST_F(ClusterTest, ExitAfterBeingAskedToLeaveIsNotACrashButUnaskedExitIs) {
  Cluster cluster(options(3), ports_);
  ASSERT_NO_FATAL_FAILURE(start_and_await(cluster));
  auto runners = cluster.runners();
  EXPECT_TRUE(cluster.crashed().empty());

  cluster.expect_exit({runners[2]});
  runners[2]->stop();  // the fake exits 0 on SIGTERM, as a leaving worker would
  ASSERT_TRUE(runners[2]->wait_for(10s));
  EXPECT_EQ(runners[2]->poll(), 0);
  EXPECT_TRUE(cluster.crashed().empty()) << cluster.crashed().front();
  EXPECT_THAT(cluster.member_names(), ElementsAre("initializer", "worker1"));

  runners[1]->stop();  // nobody asked worker1 to go
  ASSERT_TRUE(runners[1]->wait_for(10s));
  EXPECT_THAT(cluster.crashed(), ElementsAre(HasSubstr("worker1: exited 0 without being asked")));
}

TEST_F(ClusterTest, PickLeaversTakesTheMostRecentLiveNonInitializers) {
  Cluster cluster(options(2), ports_);
  ASSERT_NO_FATAL_FAILURE(start_and_await(cluster));
  ASSERT_NO_FATAL_FAILURE(await_running(cluster.grow(2)));
  auto names = [](const std::vector<Runner*>& runners) {
    Args names;
    for (Runner* runner : runners) names.push_back(runner->name());
    return names;
  };
  EXPECT_THAT(names(cluster.pick_leavers(2)), ElementsAre("worker3", "worker2"));
  cluster.expect_exit(cluster.pick_leavers(1));  // worker3 is now leaving
  EXPECT_THAT(names(cluster.pick_leavers(2)), ElementsAre("worker2", "worker1"));
  try {
    cluster.pick_leavers(3);
    FAIL() << "only two workers can leave";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("only 2"));
  }
}

TEST_F(ClusterTest, StopKillsAStragglerThatIgnoresSigtermAndReportsIt) {
  behave("worker1", "ignore-term");
  Cluster cluster(options(2), ports_);
  ASSERT_NO_FATAL_FAILURE(start_and_await(cluster));
  auto report = cluster.stop(500ms);
  EXPECT_FALSE(report.clean());
  EXPECT_THAT(report.killed, ElementsAre(HasSubstr("worker1: still running")));
  EXPECT_TRUE(report.exited_nonzero.empty());
  EXPECT_THAT(report.details, HasSubstr("running as worker1"));  // its output tail
  for (Runner* runner : cluster.runners()) EXPECT_FALSE(runner->alive()) << runner->name();
  EXPECT_EQ(cluster.runners()[0]->poll(), 0);
  // A second stop reports the first.
  EXPECT_EQ(cluster.stop(500ms).killed, report.killed);
}

TEST_F(ClusterTest, StopWaitsForAllWorkersAtOnce) {
  for (const char* name : {"initializer", "worker1", "worker2", "worker3"}) behave(name, "ignore-term");
  Cluster cluster(options(4), ports_);
  ASSERT_NO_FATAL_FAILURE(start_and_await(cluster));
  auto before = std::chrono::steady_clock::now();
  auto report = cluster.stop(600ms);
  auto took = std::chrono::steady_clock::now() - before;
  EXPECT_EQ(report.killed.size(), 4u);
  EXPECT_LT(took, 2000ms) << "one grace period for all four, not one each";
}

TEST_F(ClusterTest, StopReportsWhoExitedNonZeroWithTheirTails) {
  behave("worker1", "exit", "3");
  Cluster cluster(options(3), ports_);
  cluster.start();
  ASSERT_NO_FATAL_FAILURE(await_running({cluster.runners()[0], cluster.runners()[2]}));
  ASSERT_TRUE(cluster.runners()[1]->wait_for(10s));
  auto report = cluster.stop(10s);
  EXPECT_THAT(report.exited_nonzero, ElementsAre("worker1: exited 3"));
  EXPECT_TRUE(report.killed.empty());
  EXPECT_THAT(report.details, HasSubstr("worker1 (exited 3"));
  EXPECT_THAT(report.details, ::testing::Not(HasSubstr("worker2 (")));
}

TEST_F(ClusterTest, DestructorLeavesNoProcess) {
  behave("worker1", "ignore-term");
  std::vector<pid_t> pids;
  {
    Cluster cluster(options(3), ports_);
    ASSERT_NO_FATAL_FAILURE(start_and_await(cluster));
    for (Runner* runner : cluster.runners()) pids.push_back(runner->pid());
    // Make the destructor's stop short: the straggler gets SIGKILL after the grace.
    (void)cluster.stop(200ms);
  }
  for (pid_t pid : pids) {
    EXPECT_EQ(harness_test::process_state(pid), std::nullopt) << pid;
    EXPECT_TRUE(Passed(harness_test::await_group_gone(pid, 10s)));
  }
}

TEST_F(ClusterTest, DestructorStopsARunningCluster) {
  std::vector<pid_t> pids;
  {
    Cluster cluster(options(2), ports_);
    ASSERT_NO_FATAL_FAILURE(start_and_await(cluster));
    ASSERT_NO_FATAL_FAILURE(await_running(cluster.grow(1)));
    for (Runner* runner : cluster.runners()) pids.push_back(runner->pid());
    // No stop(): the destructor must do it.
  }
  for (pid_t pid : pids) {
    EXPECT_EQ(harness_test::process_state(pid), std::nullopt) << pid;
    EXPECT_TRUE(Passed(harness_test::await_group_gone(pid, 10s)));
  }
}

// Stands in for the initializer's external channel: answers one shrink
// request with `answer` (type 6) and keeps the request's payload.
class OneShrinkAnswer {
 public:
  OneShrinkAnswer(const std::string& address, std::string answer)
      : acceptor_(io_, endpoint(address)), answer_(std::move(answer)), thread_([this] { serve(); }) {}
  ~OneShrinkAnswer() {
    // If the request never came (the test failed earlier), unblock accept().
    if (!accepted_) {
      boost::asio::ip::tcp::socket nudge(io_);
      boost::system::error_code ignored;
      nudge.connect(acceptor_.local_endpoint(), ignored);
    }
    thread_.join();
  }
  std::uint16_t type() const { return type_; }
  const std::string& payload() const { return payload_; }

 private:
  static boost::asio::ip::tcp::endpoint endpoint(const std::string& address) {
    auto colon = address.rfind(':');
    return {boost::asio::ip::make_address(address.substr(0, colon)),
            static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1)))};
  }
  void serve() try {
    boost::asio::ip::tcp::socket socket = acceptor_.accept();
    accepted_ = true;
    std::uint32_t length = 0;
    boost::asio::read(socket, boost::asio::buffer(&length, sizeof length));
    std::string frame(boost::endian::big_to_native(length), '\0');
    boost::asio::read(socket, boost::asio::buffer(frame));
    type_ = static_cast<std::uint16_t>(static_cast<unsigned char>(frame[0]) << 8 | static_cast<unsigned char>(frame[1]));
    payload_ = frame.substr(2);
    std::uint32_t reply_length = boost::endian::native_to_big(static_cast<std::uint32_t>(answer_.size() + 2));
    std::uint16_t reply_type = boost::endian::native_to_big(std::uint16_t{6});
    boost::asio::write(socket, std::vector<boost::asio::const_buffer>{
                                   boost::asio::buffer(&reply_length, sizeof reply_length),
                                   boost::asio::buffer(&reply_type, sizeof reply_type), boost::asio::buffer(answer_)});
  } catch (const std::exception& e) {
    ADD_FAILURE() << "the stand-in external channel got no complete request: " << e.what();
  }
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::string answer_;
  std::uint16_t type_ = 0;
  std::string payload_;
  std::atomic<bool> accepted_{false};
  std::thread thread_;
};

TEST_F(ClusterTest, AcceptedShrinkNamesTheLeaversAndExpectsThemToExit) {
  Cluster cluster(options(3), ports_);
  ASSERT_NO_FATAL_FAILURE(start_and_await(cluster));
  auto leavers = cluster.pick_leavers(1);
  ASSERT_EQ(leavers.at(0)->name(), "worker2");
  harness::ShrinkReply reply;
  {
    OneShrinkAnswer server(cluster.external_address(), "Shrinking by 1 workers!");
    reply = cluster.shrink(leavers);
    EXPECT_EQ(server.type(), 4);  // ShrinkRequest
    EXPECT_THAT(server.payload(), HasSubstr("\"worker2\""));
  }
  EXPECT_TRUE(reply.accepted());
  EXPECT_THAT(cluster.member_names(), ElementsAre("initializer", "worker1"));
  leavers[0]->stop();  // the fake leaves as a shrunk worker would: exit 0
  ASSERT_TRUE(leavers[0]->wait_for(10s));
  EXPECT_TRUE(cluster.crashed().empty());
}

TEST_F(ClusterTest, RefusedShrinkLeavesMembershipAlone) {
  Cluster cluster(options(2), ports_);
  ASSERT_NO_FATAL_FAILURE(start_and_await(cluster));
  harness::ShrinkReply reply;
  {
    OneShrinkAnswer server(cluster.external_address(), "Invalid shrink targets!");
    reply = cluster.shrink(cluster.pick_leavers(1));
  }
  EXPECT_FALSE(reply.accepted());
  EXPECT_THAT(cluster.member_names(), ElementsAre("initializer", "worker1"));
}

TEST_F(ClusterTest, BadOptionsAreRefusedNamingTheField) {
  auto expect_refused = [&](ClusterOptions bad, const std::string& field) {
    SCOPED_TRACE(field);
    try {
      Cluster cluster(std::move(bad), ports_);
      FAIL() << "options with a bad " << field << " were accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_THAT(e.what(), HasSubstr(field));
    }
  };
  auto no_command = options(1);
  no_command.command.clear();
  expect_refused(no_command, "command");
  expect_refused(options(0), "initial_workers");
  expect_refused(options(1, 0), "sources");
  auto no_sink = options(1);
  no_sink.sink_address.clear();
  expect_refused(no_sink, "sink_address");
  auto other_host = options(1);
  other_host.host = "127.0.0.2";
  expect_refused(other_host, "host");
  EXPECT_EQ(ports_.held(), 0u) << "a refused cluster must not keep ports";
}

TEST_F(ClusterTest, GrowBeforeStartOrByZeroIsRefused) {
  Cluster cluster(options(1), ports_);
  EXPECT_THROW(cluster.grow(1), std::logic_error);
  ASSERT_NO_FATAL_FAILURE(start_and_await(cluster));
  EXPECT_THROW(cluster.grow(0), std::invalid_argument);
  EXPECT_THROW(cluster.start(), std::logic_error);
  EXPECT_EQ(cluster.runners().size(), 1u);
}

}  // namespace
