// Reader sources: what a Sender sends, record by record.
#include "harness/reader.h"

#include <fstream>

#include <boost/endian/conversion.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/temp_dir.h"
#include "test/harness/raw_client.h"

namespace harness {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using harness_test::framed;

std::vector<std::string> drain(Reader::Source source) {
  std::vector<std::string> out;
  while (auto record = source()) out.push_back(*record);
  return out;
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(ReaderTest, ItemsSourceCyclesUntilTheLimit) {
  auto upper = [](const std::string& s) { return std::string(1, static_cast<char>(s[0] - 'a' + 'A')); };
  EXPECT_THAT(drain(items_source({"a", "b", "c"}, upper, /*cycle=*/true, 7)),
              ElementsAre("A", "B", "C", "A", "B", "C", "A"));
  EXPECT_THAT(drain(items_source({"a", "b", "c"}, upper, /*cycle=*/false)), ElementsAre("A", "B", "C"));
  EXPECT_THAT(drain(items_source({}, upper, /*cycle=*/true, 5)), ElementsAre());
}

TEST(ReaderTest, OnSentHookSeesWhatTheSenderReports) {
  std::vector<std::string> sent;
  Reader reader(u64_sequence_source(0, 2), [&](const std::string& payload) { sent.push_back(payload); });
  const auto first = reader.next();
  ASSERT_TRUE(first);
  EXPECT_TRUE(sent.empty()) << "taking a record is not sending it";
  reader.sent(*first);
  EXPECT_THAT(sent, ElementsAre(*first));
}

TEST(ReaderTest, U64SequenceIsEightBigEndianBytesFromStart) {
  const auto records = drain(u64_sequence_source(0x0102030405060708ull, 3));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0], std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(records[2], std::string("\x01\x02\x03\x04\x05\x06\x07\x0a", 8));
  EXPECT_TRUE(drain(u64_sequence_source(5, 0)).empty());
}

TEST(ReaderTest, FramedFileSourceReadsEveryRecordIncludingEmptyOnes) {
  TempDir dir("reader-test.");
  write_file(dir.path() / "records", framed("one") + framed("") + framed(std::string("t\0o", 3)));
  EXPECT_THAT(drain(framed_file_source(dir.path() / "records")), ElementsAre("one", "", std::string("t\0o", 3)));
}

TEST(ReaderTest, FramedFileSourceRejectsATruncatedFileNamingTheRecord) {
  TempDir dir("reader-test.");
  const std::string whole = framed("one") + framed("second");
  write_file(dir.path() / "short-payload", whole.substr(0, whole.size() - 2));
  write_file(dir.path() / "short-header", framed("one") + std::string("\0\0", 2));
  try {
    framed_file_source(dir.path() / "short-payload");
    FAIL() << "a truncated payload was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("truncated"));
    EXPECT_THAT(e.what(), HasSubstr("record 1 at offset 7 declares 6 bytes but only 4 remain"));
  }
  EXPECT_THROW(framed_file_source(dir.path() / "short-header"), std::runtime_error);
  EXPECT_THROW(framed_file_source(dir.path() / "missing"), std::runtime_error);
}

TEST(ReaderTest, NewlineFileSourceYieldsLinesWithoutTheirNewline) {
  TempDir dir("reader-test.");
  write_file(dir.path() / "lines", "first\n\nthird\nunterminated");
  EXPECT_THAT(drain(newline_file_source(dir.path() / "lines")), ElementsAre("first", "", "third", "unterminated"));
}

}  // namespace
}  // namespace harness
