// The disk-image worker's decisions: names, sizes, chunking and the transfer's checks.
#include "workers/disk-image/domain/image_plan.h"

#include <catch2/catch.hpp>

namespace mpli::diskimage {
namespace {

TEST_CASE("an order's image is named after the order in the store's format") {
  CHECK(*image_file_name("ord_0190-ab", ImageFormat::kVmdk) == "ord_0190-ab.vmdk");
  auto escaping = image_file_name("../etc", ImageFormat::kRaw);
  REQUIRE_FALSE(escaping.is_ok());
  CHECK(escaping.status().message().find("order_id") != std::string::npos);
  CHECK_FALSE(image_file_name("", ImageFormat::kRaw).is_ok());
}

TEST_CASE("only qcow2, raw and vmdk are formats") {
  CHECK(*parse_format("f", "qcow2") == ImageFormat::kQcow2);
  CHECK(format_name(*parse_format("f", "raw")) == "raw");
  auto bad = parse_format("--image-format", "vdi");
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().message().find("--image-format") != std::string::npos);
}

TEST_CASE("the image size comes from disk_gb, else size, else the default") {
  CHECK(*image_size({}) == kDefaultImageBytes);
  CHECK(*image_size({{"disk_gb", "2"}, {"size", "64M"}}) == 2LL * 1024 * 1024 * 1024);
  CHECK(*image_size({{"size", "64M"}}) == 64LL * 1024 * 1024);
  CHECK(*image_size({{"size", "2097152"}}) == 2LL * 1024 * 1024);
  for (const std::string bad : {"0", "-1", "1.5", "65537", "ten"}) {
    auto size = image_size({{"disk_gb", bad}});
    REQUIRE_FALSE(size.is_ok());
    CHECK(size.status().message().find("disk_gb") != std::string::npos);
  }
  for (const std::string bad : {"12K", "1000001", "M", "9999999T", "1 G"}) {
    auto size = image_size({{"size", bad}});
    INFO(bad);
    REQUIRE_FALSE(size.is_ok());
    CHECK(size.status().message().find("size") != std::string::npos);
  }
}

TEST_CASE("chunks stay below what one NATS message holds") {
  CHECK(*chunk_bytes({}, 4 * 1024 * 1024) == kDefaultChunkBytes);
  CHECK(*chunk_bytes({}, 1000) == 1000);
  CHECK(*chunk_bytes({{"chunk_bytes", "4096"}}, 8192) == 4096);
  CHECK_FALSE(chunk_bytes({{"chunk_bytes", "8193"}}, 8192).is_ok());
  CHECK_FALSE(chunk_bytes({{"chunk_bytes", "0"}}, 8192).is_ok());
}

TEST_CASE("a transfer is checked against its end message and the parameters") {
  TransferSummary sent{3, 300, "abc", "qcow2"};
  auto decoded = decode_summary(encode_summary(sent));
  REQUIRE(decoded.is_ok());
  CHECK(decoded->chunks == 3);
  CHECK(decoded->bytes == 300);
  CHECK(decoded->sha256 == "abc");
  CHECK(decoded->format == "qcow2");
  CHECK_FALSE(decode_summary("{\"count\":\"3\"}").is_ok());
  CHECK(check_transfer({}, sent, sent).is_ok());
  CHECK(check_transfer({{"chunks", "3"}, {"sha256", "abc"}}, sent, sent).is_ok());
  TransferSummary corrupted = sent;
  corrupted.sha256 = "abd";
  CHECK(check_transfer({}, sent, corrupted).message().find("corrupted") != std::string::npos);
  TransferSummary short_read = sent;
  short_read.chunks = 2;
  CHECK_FALSE(check_transfer({}, sent, short_read).is_ok());
  CHECK(check_transfer({{"bytes", "301"}}, sent, sent).message().find("bytes") !=
        std::string::npos);
}

TEST_CASE("transfer subjects hold the migration id as one token") {
  CHECK(chunk_subject("mig_1") == "mpli.transfer.v1.mig_1.chunk");
  CHECK(end_subject("mig_1") == "mpli.transfer.v1.mig_1.end");
  CHECK(chunk_msg_id("mig_1", 7) == "mig_1.7");
  CHECK_FALSE(check_migration_id("a.b").is_ok());
  CHECK_FALSE(check_migration_id("").is_ok());
  CHECK(check_migration_id("mig_0190-ab").is_ok());
}

}  // namespace
}  // namespace mpli::diskimage
