#include "services/delivery/secret_box.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

using namespace mpli;
using namespace mpli::delivery;

namespace {
std::string write_key(const std::string& content, mode_t mode) {
  char path[] = "/tmp/mpli-key-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path, std::ios::binary) << content;
  chmod(path, mode);
  return path;
}
}  // namespace

TEST_CASE("sealed secrets open with the same key and order only") {
  SecretBox box = SecretBox::ephemeral();
  auto sealed = box.seal_map({{"password", "s3cret"}}, "ord_1");
  REQUIRE(sealed.is_ok());
  CHECK(sealed->size() == SecretBox::kNonceSize + std::string(R"({"password":"s3cret"})").size() +
                              SecretBox::kTagSize);
  CHECK(sealed->find("s3cret") == std::string::npos);
  auto opened = box.open_map(*sealed, "ord_1");
  REQUIRE(opened.is_ok());
  CHECK(opened->at("password") == "s3cret");
  CHECK_FALSE(box.open_map(*sealed, "ord_2").is_ok());  // bound to its order
  CHECK_FALSE(SecretBox::ephemeral().open(*sealed, "ord_1").is_ok());
  std::string tampered = *sealed;
  tampered[SecretBox::kNonceSize] ^= 1;
  CHECK_FALSE(box.open(tampered, "ord_1").is_ok());
}

TEST_CASE("the key file is 32 bytes or 64 hex characters, readable by its owner only") {
  std::string hex(64, 'a');
  std::string good = write_key(hex + "\n", 0600);
  auto box = SecretBox::from_key_file(good);
  REQUIRE(box.is_ok());
  auto raw = SecretBox::from_key_file(write_key(std::string(32, '\xaa'), 0600));
  REQUIRE(raw.is_ok());
  // The same key in either form.
  auto sealed = box->seal("x", "ord");
  REQUIRE(sealed.is_ok());
  CHECK(raw->open(*sealed, "ord").is_ok());

  CHECK_FALSE(SecretBox::from_key_file(write_key(hex, 0644)).is_ok());
  CHECK_FALSE(SecretBox::from_key_file(write_key("short", 0600)).is_ok());
  CHECK_FALSE(SecretBox::from_key_file(write_key(std::string(64, 'z'), 0600)).is_ok());
  CHECK_FALSE(SecretBox::from_key_file("/nonexistent/key").is_ok());
  std::remove(good.c_str());
}
