// TempDir: a private directory, gone with everything in it when the object goes.
#include "harness/temp_dir.h"

#include <fstream>

#include <gtest/gtest.h>

namespace {

using harness::TempDir;
namespace fs = std::filesystem;

TEST(TempDirTest, IsRemovedWithEverythingInside) {
  fs::path path;
  {
    TempDir dir("temp_dir_test.");
    path = dir.path();
    ASSERT_TRUE(fs::is_directory(path));
    fs::create_directories(path / "logs" / "deeper");
    std::ofstream(path / "logs" / "initializer.log") << "some output\n";
    std::ofstream(path / "logs" / "deeper" / "file") << "x";
    fs::create_symlink("/etc", path / "link-to-etc");  // removed as a link, not followed
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::exists("/etc"));
}

TEST(TempDirTest, EachIsPrivateAndUnderTmpdir) {
  TempDir a("temp_dir_test.");
  TempDir b("temp_dir_test.");
  EXPECT_NE(a.path(), b.path());
  EXPECT_EQ(a.path().filename().string().rfind("temp_dir_test.", 0), 0u);
  auto perms = fs::status(a.path()).permissions();
  EXPECT_EQ(perms & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
}

TEST(TempDirTest, KeepLeavesItForInspection) {
  fs::path path;
  {
    TempDir dir("temp_dir_test.");
    path = dir.path();
    dir.keep();
  }
  EXPECT_TRUE(fs::is_directory(path));
  fs::remove_all(path);
}

TEST(TempDirTest, PrefixWithASlashIsRefused) {
  EXPECT_THROW(TempDir("../escape."), std::invalid_argument);
}

}  // namespace
