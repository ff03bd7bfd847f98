// The alphabet application's record formats (worker-contract.md section 2).
#include "harness/alphabet.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace harness::alphabet {
namespace {

TEST(AlphabetTest, KeysAreTheContractsPartitions) {
  ASSERT_EQ(letter_keys().size(), 676u);
  EXPECT_EQ(letter_keys().front(), "aa");
  EXPECT_EQ(letter_keys()[1], "ab");
  EXPECT_EQ(letter_keys().back(), "zz");
  ASSERT_EQ(partition_keys().size(), 677u);
  EXPECT_EQ(partition_keys().back(), "!!");
  for (const std::string& key : partition_keys()) EXPECT_TRUE(is_partition_key(key)) << key;
  for (std::string_view bad : {"a", "abc", "aA", "!a", "", "{a"}) EXPECT_FALSE(is_partition_key(bad)) << bad;
}

TEST(AlphabetTest, VotesAndTotalsAreBigEndianAndRoundTrip) {
  EXPECT_EQ(encode_vote("ab", 0x01020304), std::string("ab\x01\x02\x03\x04", 6));
  EXPECT_EQ(encode_total("zz", 17), std::string("zz\0\0\0\0\0\0\0\x11", 10));
  const auto vote = decode_vote(encode_vote("qr", 4'000'000'000u));
  ASSERT_TRUE(vote);
  EXPECT_EQ(vote->key, "qr");
  EXPECT_EQ(vote->votes, 4'000'000'000u);
  const auto total = decode_total(encode_total("!!", 1ull << 40));
  ASSERT_TRUE(total);
  EXPECT_EQ(total->key, "!!");
  EXPECT_EQ(total->total, 1ull << 40);
  EXPECT_FALSE(decode_vote("abc"));
  EXPECT_FALSE(decode_total(encode_vote("ab", 1)));
}

TEST(AlphabetTest, DescribeTotalReadsTotalsAndHexesTheRest) {
  EXPECT_EQ(describe_total(encode_total("ab", 17)), "ab=17");
  EXPECT_EQ(describe_total("xyz"), "3 bytes: 78 79 7a");
}

}  // namespace
}  // namespace harness::alphabet
