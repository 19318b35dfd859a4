#include "libs/process/temp_directory.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <optional>

namespace mpli::process {
namespace {

namespace fs = std::filesystem;

TEST_CASE("a temporary directory is its owner's alone and goes with what is in it") {
  std::string path;
  {
    auto made = TempDirectory::make("mpli-unit-");
    REQUIRE(made.is_ok());
    path = made->path();
    CHECK(fs::path(path).filename().string().rfind("mpli-unit-", 0) == 0);
    CHECK(fs::status(path).permissions() == fs::perms::owner_all);
    std::ofstream(made->file("inside")) << "x";
    CHECK(fs::exists(path + "/inside"));
    // Moved: the new owner removes it, the old one nothing.
    std::optional<TempDirectory> moved(std::move(*made));
    CHECK(moved->path() == path);
    CHECK(made->path().empty());
    moved.reset();
    CHECK_FALSE(fs::exists(path));
  }
  CHECK_FALSE(fs::exists(path));
}

}  // namespace
}  // namespace mpli::process
