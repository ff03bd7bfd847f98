// The scenario matrix and the parsing of the suite's environment: what tests
// exist, with which names and sizes, and what a user's typo turns into.
#include <cstdlib>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures/autoscale_scenarios.h"
#include "fixtures/worker_commands.h"

namespace autoscale {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Sets an environment variable for one test, and restores it.
class ScopedEnvironment {
 public:
  ScopedEnvironment(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    ::setenv(name, value, 1);
  }
  ~ScopedEnvironment() { had_ ? ::setenv(name_, old_.c_str(), 1) : ::unsetenv(name_); }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

const AutoscaleScenario* find(const std::vector<AutoscaleScenario>& all, const std::string& name) {
  for (const auto& s : all)
    if (s.name == name) return &s;
  return nullptr;
}

TEST(ScenarioMatrixTest, SixteenAutoscaleScenariosWithReadableNamesAndSmallestInitialClusters) {
  ScopedEnvironment one_command("AUTOSCALE_WORKER_COMMANDS", "alphabet=/opt/alphabet");
  const auto matrix = autoscale_matrix();
  ASSERT_EQ(matrix.size(), 16u);
  std::set<std::string> names;
  for (const auto& s : matrix) {
    names.insert(s.name);
    EXPECT_EQ(s.cycles, 4) << s.name;
    EXPECT_THAT(s.config_error, IsEmpty()) << s.name;
  }
  EXPECT_EQ(names.size(), 16u) << "names must be unique";
  // scenarios.md's examples.
  ASSERT_NE(find(matrix, "shrink_by_many_x4"), nullptr);
  EXPECT_EQ(find(matrix, "shrink_by_many_x4")->initial, 17);
  ASSERT_NE(find(matrix, "grow_by_1_shrink_by_many_x4"), nullptr);
  EXPECT_EQ(find(matrix, "grow_by_1_shrink_by_many_x4")->initial, 13);
  EXPECT_THAT(find(matrix, "grow_by_1_shrink_by_many_x4")->ops, ElementsAre(1, -4));
  ASSERT_NE(find(matrix, "grow_by_many_x4"), nullptr);
  EXPECT_EQ(find(matrix, "grow_by_many_x4")->initial, 1);
}

TEST(ScenarioMatrixTest, FiveSetupScenariosFormTenToFiftyWorkers) {
  ScopedEnvironment one_command("AUTOSCALE_WORKER_COMMANDS", "alphabet=/opt/alphabet");
  const auto setup = setup_matrix();
  ASSERT_EQ(setup.size(), 5u);
  EXPECT_EQ(setup.front().name, "form_10_workers");
  EXPECT_EQ(setup.back().initial, 50);
  for (const auto& s : setup) EXPECT_THAT(s.ops, IsEmpty());
}

TEST(ScenarioMatrixTest, EveryCommandRunsEveryScenarioUnderItsOwnName) {
  ScopedEnvironment two("AUTOSCALE_WORKER_COMMANDS", "pony=/opt/a;python=/opt/b --module x");
  const auto matrix = autoscale_matrix();
  ASSERT_EQ(matrix.size(), 32u);
  EXPECT_NE(find(matrix, "grow_by_1_x4_on_pony"), nullptr);
  ASSERT_NE(find(matrix, "grow_by_1_x4_on_python"), nullptr);
  EXPECT_THAT(find(matrix, "grow_by_1_x4_on_python")->command.argv, ElementsAre("/opt/b", "--module", "x"));
}

TEST(ExtraScenariosTest, ParsesOpsCyclesAndInitial) {
  ScopedEnvironment one_command("AUTOSCALE_WORKER_COMMANDS", "alphabet=/opt/alphabet");
  const auto extra = parse_extra_scenarios("1,-2x3@5; +4 x 1 ; x1@12");
  ASSERT_EQ(extra.size(), 3u);
  EXPECT_EQ(extra[0].name, "grow_by_1_shrink_by_2_x3_from_5");
  EXPECT_THAT(extra[0].ops, ElementsAre(1, -2));
  EXPECT_EQ(extra[0].initial, 5);
  EXPECT_THAT(extra[0].config_error, IsEmpty());
  EXPECT_EQ(extra[1].name, "grow_by_4_x1");
  EXPECT_EQ(extra[1].initial, 1);
  EXPECT_EQ(extra[2].name, "formation_x1_from_12");
}

TEST(ExtraScenariosTest, TooFewInitialWorkersBecomesAFailingScenarioSayingWhy) {
  ScopedEnvironment one_command("AUTOSCALE_WORKER_COMMANDS", "alphabet=/opt/alphabet");
  const auto extra = parse_extra_scenarios("-2x1@2");
  ASSERT_EQ(extra.size(), 1u);
  EXPECT_THAT(extra[0].config_error, HasSubstr("need at least 3 initial workers"));
}

TEST(ExtraScenariosTest, MalformedOrHugeEntriesBecomeFailingScenariosNotACrash) {
  ScopedEnvironment one_command("AUTOSCALE_WORKER_COMMANDS", "alphabet=/opt/alphabet");
  const auto extra = parse_extra_scenarios("grow by one; 1x3@99999999999; 99999999999x1; 1,-1x2");
  ASSERT_EQ(extra.size(), 4u);
  EXPECT_THAT(extra[0].config_error, HasSubstr("is not OPS x CYCLES"));
  EXPECT_THAT(extra[1].config_error, HasSubstr("99999999999 is out of range"));
  EXPECT_THAT(extra[2].config_error, HasSubstr("out of range"));
  EXPECT_THAT(extra[3].config_error, IsEmpty());
  std::set<std::string> names;
  for (const auto& s : extra) names.insert(s.name);
  EXPECT_EQ(names.size(), extra.size()) << "names must be unique";
}

TEST(WorkerCommandsTest, LabelProgramAndQuotedArguments) {
  const WorkerCommand c = parse_worker_command(R"(py=machida --application-module "alpha bet")");
  EXPECT_EQ(c.label, "py");
  EXPECT_THAT(c.argv, ElementsAre("machida", "--application-module", "alpha bet"));
  EXPECT_THAT(c.error, IsEmpty());
  EXPECT_EQ(parse_worker_command("/opt/wallaroo/alphabet-app --ponythreads=1").label, "alphabet_app");
  EXPECT_THAT(parse_worker_command("x=").error, HasSubstr("empty worker command"));
}

TEST(WorkerCommandsTest, LabelsAreMadeUniqueWithoutClashes) {
  ScopedEnvironment commands("AUTOSCALE_WORKER_COMMANDS", "x_2=A;x=A;x=A;ab=B;a=C");
  std::vector<std::string> labels;
  for (const auto& c : configured_worker_commands()) labels.push_back(c.label);
  EXPECT_THAT(labels, ElementsAre("x_2", "x", "x_3", "ab", "a"));
}

TEST(WorkerCommandsTest, TheBundledWorkerIsTheAlphabetBinary) {
  // The default when neither the environment nor the build names a command.
  const WorkerCommand bundled = bundled_worker_command();
  EXPECT_EQ(bundled.label, "alphabet");
  ASSERT_EQ(bundled.argv.size(), 1u);
  EXPECT_THAT(bundled.argv.front(), HasSubstr("alphabet"));
}

}  // namespace
}  // namespace autoscale
