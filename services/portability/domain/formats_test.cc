#include "services/portability/domain/formats.h"

#include <catch2/catch.hpp>

using namespace mpli;
using namespace mpli::portability;

namespace {
const std::vector<std::string> kSourceAll = {kFormatPgDumpCustom, kFormatPgLogicalReplication};
const std::vector<std::string> kTargetDump = {kFormatPgDumpCustom};
}  // namespace

TEST_CASE("online is the default when the source replicates and the target takes a dump") {
  auto chosen = choose_format("postgresql", "", kSourceAll, kTargetDump);
  REQUIRE(chosen.is_ok());
  CHECK(chosen->mode == "online");
  CHECK(chosen->format == kFormatPgLogicalReplication);
}

TEST_CASE("without logical replication the default is offline in a custom dump") {
  auto chosen = choose_format("postgresql", "", {kFormatPgDumpCustom}, kTargetDump);
  REQUIRE(chosen.is_ok());
  CHECK(chosen->mode == "offline");
  CHECK(chosen->format == kFormatPgDumpCustom);
  auto plain = choose_format("postgresql", "offline", {kFormatSqlPlain}, {kFormatSqlPlain});
  REQUIRE(plain.is_ok());
  CHECK(plain->format == kFormatSqlPlain);
}

TEST_CASE("online asked for but impossible is FORMATS_INCOMPATIBLE naming both lists") {
  auto refused = choose_format("postgresql", "online", {kFormatPgDumpCustom}, kTargetDump);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.status().code() == StatusCode::kFailedPrecondition);
  CHECK(refused.status().detail("reason") == "FORMATS_INCOMPATIBLE");
  CHECK(refused.status().message().find("the source exports [mpli:FormatPgDumpCustom]") !=
        std::string::npos);
  CHECK(refused.status().message().find("the target imports [mpli:FormatPgDumpCustom]") !=
        std::string::npos);
}

TEST_CASE("no common format at all is FORMATS_INCOMPATIBLE") {
  auto refused = choose_format("postgresql", "", {kFormatSqlPlain}, kTargetDump);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.status().detail("reason") == "FORMATS_INCOMPATIBLE");
  CHECK(refused.status().detail("source_export_formats") == "mpli:FormatSqlPlain");
  CHECK(refused.status().detail("target_import_formats") == "mpli:FormatPgDumpCustom");
}

TEST_CASE("disk images need a common image format and keep each side's own") {
  auto chosen =
      choose_format("disk-image", "", {kFormatQcow2, kFormatVmdk}, {kFormatRawDisk, kFormatVmdk});
  REQUIRE(chosen.is_ok());
  CHECK(chosen->mode == "offline");
  CHECK(chosen->format == kFormatVmdk);
  CHECK(chosen->source_format == "qcow2");
  CHECK(chosen->target_format == "raw");
  auto refused = choose_format("disk-image", "", {kFormatQcow2}, {kFormatRawDisk});
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.status().detail("reason") == "FORMATS_INCOMPATIBLE");
  CHECK_FALSE(choose_format("disk-image", "online", {kFormatQcow2}, {kFormatQcow2}).is_ok());
}

TEST_CASE("a worker kind without a migration path and an unknown mode are refused") {
  auto ansible = choose_format("ansible", "", kSourceAll, kTargetDump);
  REQUIRE_FALSE(ansible.is_ok());
  CHECK(ansible.status().detail("reason") == "NOT_MIGRATABLE");
  auto mode = choose_format("postgresql", "sideways", kSourceAll, kTargetDump);
  REQUIRE_FALSE(mode.is_ok());
  CHECK(mode.status().detail("field") == "mode");
}

TEST_CASE("formats are read from the offering's graph, compacted and sorted") {
  const std::string turtle = R"(
@prefix mpli: <https://w3id.org/mpli#> .
<https://p.example/o/pg> mpli:exportFormat mpli:FormatPgLogicalReplication, mpli:FormatPgDumpCustom ;
  mpli:importFormat mpli:FormatPgDumpCustom .
<https://p.example/o/other> mpli:exportFormat mpli:FormatQcow2 .
)";
  auto formats = read_formats(turtle, "https://p.example/o/pg");
  REQUIRE(formats.is_ok());
  CHECK(formats->exports ==
        std::vector<std::string>{"mpli:FormatPgDumpCustom", "mpli:FormatPgLogicalReplication"});
  CHECK(formats->imports == std::vector<std::string>{"mpli:FormatPgDumpCustom"});
  CHECK_FALSE(read_formats("not turtle <", "https://p.example/o/pg").is_ok());
}
