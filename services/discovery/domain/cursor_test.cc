#include "services/discovery/domain/cursor.h"

#include <catch2/catch.hpp>
#include <vector>

#include "services/discovery/domain/errors.h"

using namespace mpli;
using namespace mpli::discovery;

namespace {
std::string hex(const std::string& bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  }
  return out;
}

void check_bad_cursor(const Result<std::string>& opened) {
  REQUIRE_FALSE(opened.is_ok());
  CHECK(opened.status().code() == StatusCode::kInvalidArgument);
  CHECK(opened.status().detail("field") == "cursor");
  CHECK(reason_of(opened.status()) == v1::BAD_CURSOR);
}
}  // namespace

TEST_CASE("HMAC-SHA256 gives the RFC 4231 test vectors") {
  CHECK(hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // A key longer than the block is hashed first (test case 6).
  CHECK(hex(hmac_sha256(std::string(131, '\xaa'),
                        "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("base64url round-trips any bytes and refuses anything else") {
  for (const std::string& bytes : std::vector<std::string>{
           "", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\x00\xff\xfe", 3)}) {
    CHECK(base64url_decode(base64url_encode(bytes)) == bytes);
  }
  CHECK(base64url_encode("foobar") == "Zm9vYmFy");
  CHECK(base64url_encode(std::string("\xfb\xff", 2)) == "-_8");
  CHECK_FALSE(base64url_decode("Zm9v+mFy").has_value());  // standard alphabet, not url
  CHECK_FALSE(base64url_decode("Z").has_value());
  CHECK_FALSE(base64url_decode("Zh").has_value());  // non-zero leftover bits
}

TEST_CASE("a cursor gives back the position it sealed, for the listing that sealed it") {
  CursorCodec codec("secret");
  std::string iri = "https://nordwolke.example/.well-known/mpli.ttl#pg-m";
  std::string cursor = codec.seal(CursorKind::kOfferings, iri);
  CHECK(cursor.find(iri) == std::string::npos);  // opaque
  auto opened = codec.open(CursorKind::kOfferings, cursor);
  REQUIRE(opened.is_ok());
  CHECK(*opened == iri);
  check_bad_cursor(codec.open(CursorKind::kProviders, cursor));
  check_bad_cursor(CursorCodec("another secret").open(CursorKind::kOfferings, cursor));
}

TEST_CASE("a tampered or invented cursor is refused as BAD_CURSOR") {
  CursorCodec codec("secret");
  std::string cursor = codec.seal(CursorKind::kOfferings, "https://a.example/#x");
  std::string tampered = cursor;
  tampered[2] = tampered[2] == 'A' ? 'B' : 'A';
  check_bad_cursor(codec.open(CursorKind::kOfferings, tampered));
  // The position of another offering with the original MAC.
  std::string forged = base64url_encode("https://a.example/#y") + cursor.substr(cursor.find('.'));
  check_bad_cursor(codec.open(CursorKind::kOfferings, forged));
  check_bad_cursor(codec.open(CursorKind::kOfferings, "ffff"));
  check_bad_cursor(codec.open(CursorKind::kOfferings, "."));
  check_bad_cursor(codec.open(CursorKind::kOfferings, "a'b.c"));
  check_bad_cursor(codec.open(CursorKind::kOfferings, std::string(kMaxCursorLength + 1, 'A')));
}
