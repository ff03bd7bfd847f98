// The suite's central verdict: each key's totals at the sink are exactly
// 1..n for the n votes sent. Every way it can be wrong must be caught.
#include "harness/vote_ledger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/alphabet.h"

namespace harness {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class VoteLedgerTest : public ::testing::Test {
 protected:
  void Sent(const std::string& key, int votes) {
    for (int i = 0; i < votes; ++i) ledger_.record_sent(alphabet::encode_vote(key, 1));
  }
  static ReceivedRecord Total(const std::string& key, std::uint64_t total, std::size_t connection = 0) {
    return {connection, alphabet::encode_total(key, total)};
  }
  VoteLedger ledger_;
};

TEST_F(VoteLedgerTest, ExactlyOneToNInAnyOrderAndOverSeveralConnectionsPasses) {
  Sent("aa", 3);
  Sent("zz", 1);
  EXPECT_THAT(ledger_.check_exactly_once({Total("aa", 2, 1), Total("zz", 1), Total("aa", 1), Total("aa", 3, 2)}),
              IsEmpty());
  EXPECT_EQ(ledger_.total_sent(), 4u);
  EXPECT_EQ(ledger_.final_total_frames().size(), 2u);
}

TEST_F(VoteLedgerTest, ALostTotalIsReported) {
  Sent("ab", 3);
  EXPECT_THAT(ledger_.check_exactly_once({Total("ab", 1), Total("ab", 3)}), HasSubstr("key ab: sent 3, final total 3; lost totals 2"));
}

TEST_F(VoteLedgerTest, AMissingFinalTotalIsReported) {
  Sent("ab", 2);
  EXPECT_THAT(ledger_.check_exactly_once({Total("ab", 1)}), HasSubstr("lost totals 2"));
}

TEST_F(VoteLedgerTest, ATotalCountedTwiceIsReported) {
  Sent("cd", 2);
  EXPECT_THAT(ledger_.check_exactly_once({Total("cd", 1), Total("cd", 2), Total("cd", 2, 1)}),
              HasSubstr("counted twice 2"));
}

TEST_F(VoteLedgerTest, TotalsAboveWhatWasSentOrZeroAreReported) {
  Sent("ef", 2);
  EXPECT_THAT(ledger_.check_exactly_once({Total("ef", 1), Total("ef", 2), Total("ef", 3)}),
              HasSubstr("totals outside 1..2 3"));
  EXPECT_THAT(ledger_.check_exactly_once({Total("ef", 0), Total("ef", 1), Total("ef", 2)}),
              HasSubstr("totals outside 1..2 0"));
}

TEST_F(VoteLedgerTest, AKeyNeverSentAndMalformedFramesAreReported) {
  Sent("gh", 1);
  const std::string report =
      ledger_.check_exactly_once({Total("gh", 1), Total("ij", 1), ReceivedRecord{0, std::string("bad")}});
  EXPECT_THAT(report, HasSubstr("key ij: never sent"));
  EXPECT_THAT(report, HasSubstr("malformed sink frame on connection 0"));
}

TEST_F(VoteLedgerTest, NothingAtTheSinkForAKeyThatWasSentIsReported) {
  Sent("kl", 1);
  EXPECT_THAT(ledger_.check_exactly_once({}), HasSubstr("key kl: sent 1, final total 0; lost totals 1"));
}

}  // namespace
}  // namespace harness
