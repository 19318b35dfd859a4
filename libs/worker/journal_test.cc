#include "libs/worker/journal.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace mpli::worker {
namespace {

struct Dir {
  Dir() {
    char pattern[] = "/tmp/mpli-journal-XXXXXX";
    path = mkdtemp(pattern);
  }
  ~Dir() { std::filesystem::remove_all(path); }
  std::string path;
};

delivery::v1::WorkUpdate outcome(const std::string& work_id, int attempt, const std::string& kind,
                                 bool retryable = false) {
  delivery::v1::WorkUpdate update;
  update.set_work_id(work_id);
  update.set_attempt(attempt);
  update.set_provider_id("acme");
  update.set_kind(kind);
  update.set_retryable(retryable);
  update.set_sequence(1);
  (*update.mutable_outputs())["host"] = "db";
  (*update.mutable_secrets())["password"] = "s3cret";
  return update;
}

TEST_CASE("the journal answers the same attempt, or a finished outcome of any attempt") {
  Dir dir;
  auto journal = Journal::open(dir.path + "/state");
  REQUIRE(journal.is_ok());
  CHECK_FALSE((*journal)->find("w1", 1).has_value());
  REQUIRE((*journal)->append(outcome("w1", 1, "failed", /*retryable=*/true)).is_ok());
  REQUIRE((*journal)->append(outcome("w2", 1, "succeeded")).is_ok());
  auto same = (*journal)->find("w1", 1);
  REQUIRE(same.has_value());
  CHECK(same->retryable());
  // A retryable failure of attempt 1 does not answer attempt 2: that one runs.
  CHECK_FALSE((*journal)->find("w1", 2).has_value());
  auto finished = (*journal)->find("w2", 5);
  REQUIRE(finished.has_value());
  CHECK(finished->attempt() == 1);
  CHECK(finished->secrets().at("password") == "s3cret");
}

TEST_CASE("the journal survives a reopen, a torn last line, and is private") {
  Dir dir;
  {
    auto journal = Journal::open(dir.path);
    REQUIRE(journal.is_ok());
    REQUIRE((*journal)->append(outcome("w1", 1, "succeeded")).is_ok());
  }
  {
    std::ofstream torn(dir.path + "/journal.jsonl", std::ios::app);
    torn << R"({"work_id":"w9","attempt":1,"ki)";  // a crash mid-write
  }
  {
    auto journal = Journal::open(dir.path);
    REQUIRE(journal.is_ok());
    CHECK((*journal)->entries() == 1);
    CHECK((*journal)->skipped_lines() == 1);
    REQUIRE((*journal)->find("w1", 1).has_value());
    REQUIRE((*journal)->append(outcome("w3", 1, "failed")).is_ok());
  }
  auto journal = Journal::open(dir.path);
  REQUIRE(journal.is_ok());
  CHECK((*journal)->entries() == 2);  // the torn line did not swallow w3
  REQUIRE((*journal)->find("w3", 2).has_value());
  struct stat info {};
  REQUIRE(stat((dir.path + "/journal.jsonl").c_str(), &info) == 0);
  CHECK((info.st_mode & 077) == 0);
}

TEST_CASE("a journal that cannot be created is an error, not a crash") {
  auto journal = Journal::open("/proc/no/such/dir");
  CHECK_FALSE(journal.is_ok());
}

}  // namespace
}  // namespace mpli::worker
