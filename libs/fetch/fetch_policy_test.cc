#include "libs/fetch/fetch_policy.h"

#include <catch2/catch.hpp>

#include "libs/fetch/fetch_error.h"

using namespace mpli;
using namespace mpli::fetch;

TEST_CASE("URLs must be https unless the policy allows http") {
  FetchPolicy strict;
  CHECK(check_url("https://hexacloud.example/.well-known/mpli.ttl", strict).is_ok());
  Status http = check_url("http://hexacloud.example/.well-known/mpli.ttl", strict);
  CHECK(http.code() == StatusCode::kInvalidArgument);
  CHECK(fetch_error_of(http) == FetchError::kSchemeRefused);
  CHECK(http.message().find("allow_http") != std::string::npos);  // what would allow it
  CHECK(http.message() == "URL: " + http.detail("problem"));
  CHECK(fetch_error_of(check_url("ftp://x.example/m.ttl", strict)) == FetchError::kSchemeRefused);
  CHECK(fetch_error_of(check_url("https://", strict)) == FetchError::kBadUrl);
  CHECK(check_url("https://", strict).detail("problem") == "has no host");
  CHECK(fetch_error_of(check_url("https://user:pw@x.example/m.ttl", strict)) ==
        FetchError::kBadUrl);
  CHECK(fetch_error_of(check_url("https://x.example/a b.ttl", strict)) == FetchError::kBadUrl);
  CHECK(fetch_error_of(check_url("https://x.example/" + std::string(2048, 'a'), strict)) ==
        FetchError::kBadUrl);
  FetchPolicy local;
  local.allow_http = true;
  CHECK(check_url("http://127.0.0.1:8081/.well-known/mpli.ttl", local).is_ok());
}

TEST_CASE("addresses are classified into the ranges the fetcher guards") {
  CHECK(classify_address("127.0.0.1") == AddressClass::kLoopback);
  CHECK(classify_address("127.255.0.9") == AddressClass::kLoopback);
  CHECK(classify_address("::1") == AddressClass::kLoopback);
  CHECK(classify_address("::ffff:127.0.0.1") == AddressClass::kLoopback);
  CHECK(classify_address("10.1.2.3") == AddressClass::kPrivate);
  CHECK(classify_address("172.16.0.1") == AddressClass::kPrivate);
  CHECK(classify_address("172.31.255.255") == AddressClass::kPrivate);
  CHECK(classify_address("172.32.0.1") == AddressClass::kPublic);
  CHECK(classify_address("192.168.1.1") == AddressClass::kPrivate);
  CHECK(classify_address("100.64.0.1") == AddressClass::kPrivate);
  CHECK(classify_address("169.254.169.254") == AddressClass::kLinkLocal);
  CHECK(classify_address("fe80::1") == AddressClass::kLinkLocal);
  CHECK(classify_address("fd00::1") == AddressClass::kPrivate);
  CHECK(classify_address("0.0.0.0") == AddressClass::kUnspecified);
  CHECK(classify_address("224.0.0.1") == AddressClass::kMulticast);
  CHECK(classify_address("8.8.8.8") == AddressClass::kPublic);
  CHECK(classify_address("2001:db8::1") == AddressClass::kPublic);
  CHECK(classify_address("not an address") == AddressClass::kReserved);
}

TEST_CASE("private targets are refused unless allowed, with the range named") {
  FetchPolicy policy;
  Status refused = check_address("127.0.0.1", policy);
  CHECK(refused.code() == StatusCode::kPermissionDenied);
  CHECK(fetch_error_of(refused) == FetchError::kAddressRefused);
  CHECK(refused.details().at("range") == "loopback");
  CHECK(refused.details().at("address") == "127.0.0.1");
  CHECK(refused.message().find("127.0.0.1, a loopback address") != std::string::npos);
  CHECK_FALSE(check_address("169.254.169.254", policy).is_ok());
  policy.allow_loopback = true;
  CHECK(check_address("127.0.0.1", policy).is_ok());
  CHECK_FALSE(check_address("10.0.0.1", policy).is_ok());
  CHECK_FALSE(check_address("0.0.0.0", policy).is_ok());
  CHECK(check_address("8.8.8.8", policy).is_ok());
  policy.allow_private = true;
  CHECK(check_address("10.0.0.1", policy).is_ok());
  CHECK(check_address("169.254.169.254", policy).is_ok());
  CHECK_FALSE(check_address("0.0.0.0", policy).is_ok());
  CHECK_FALSE(check_address("224.0.0.1", policy).is_ok());
}

namespace {

// One address next to a boundary of a range the policy knows, and the class it must get.
struct AddressCase {
  const char* address;
  AddressClass expected;
};

// Every range of classify_address, each from both sides: its first and last address inside,
// and the neighbour just outside each end (where that neighbour exists).
const AddressCase kAddressCases[] = {
    // 0.0.0.0/8 "this network"
    {"0.0.0.0", AddressClass::kUnspecified},
    {"0.255.255.255", AddressClass::kUnspecified},
    {"1.0.0.0", AddressClass::kPublic},
    // 10.0.0.0/8
    {"9.255.255.255", AddressClass::kPublic},
    {"10.0.0.0", AddressClass::kPrivate},
    {"10.255.255.255", AddressClass::kPrivate},
    {"11.0.0.0", AddressClass::kPublic},
    // 100.64.0.0/10 (carrier-grade NAT)
    {"100.63.255.255", AddressClass::kPublic},
    {"100.64.0.0", AddressClass::kPrivate},
    {"100.127.255.255", AddressClass::kPrivate},
    {"100.128.0.0", AddressClass::kPublic},
    // 127.0.0.0/8
    {"126.255.255.255", AddressClass::kPublic},
    {"127.0.0.0", AddressClass::kLoopback},
    {"127.255.255.255", AddressClass::kLoopback},
    {"128.0.0.0", AddressClass::kPublic},
    // 169.254.0.0/16 (cloud metadata endpoints live here)
    {"169.253.255.255", AddressClass::kPublic},
    {"169.254.0.0", AddressClass::kLinkLocal},
    {"169.254.169.254", AddressClass::kLinkLocal},
    {"169.254.255.255", AddressClass::kLinkLocal},
    {"169.255.0.0", AddressClass::kPublic},
    // 172.16.0.0/12
    {"172.15.255.255", AddressClass::kPublic},
    {"172.16.0.0", AddressClass::kPrivate},
    {"172.31.255.255", AddressClass::kPrivate},
    {"172.32.0.0", AddressClass::kPublic},
    // 192.0.0.0/24 (IETF protocol assignments)
    {"191.255.255.255", AddressClass::kPublic},
    {"192.0.0.0", AddressClass::kReserved},
    {"192.0.0.255", AddressClass::kReserved},
    {"192.0.1.0", AddressClass::kPublic},
    // 192.168.0.0/16
    {"192.167.255.255", AddressClass::kPublic},
    {"192.168.0.0", AddressClass::kPrivate},
    {"192.168.255.255", AddressClass::kPrivate},
    {"192.169.0.0", AddressClass::kPublic},
    // 198.18.0.0/15 (benchmarking)
    {"198.17.255.255", AddressClass::kPublic},
    {"198.18.0.0", AddressClass::kReserved},
    {"198.19.255.255", AddressClass::kReserved},
    {"198.20.0.0", AddressClass::kPublic},
    // 224.0.0.0/4 multicast, then 240.0.0.0/4 reserved up to the broadcast address
    {"223.255.255.255", AddressClass::kPublic},
    {"224.0.0.0", AddressClass::kMulticast},
    {"239.255.255.255", AddressClass::kMulticast},
    {"240.0.0.0", AddressClass::kReserved},
    {"255.255.255.255", AddressClass::kReserved},

    // IPv6 ::/128, ::1/128, and the deprecated IPv4-compatible addresses (::a.b.c.d) between
    // them and the mapped ones: never a public destination.
    {"::", AddressClass::kUnspecified},
    {"::1", AddressClass::kLoopback},
    {"::2", AddressClass::kReserved},
    {"::127.0.0.1", AddressClass::kReserved},
    {"::8.8.8.8", AddressClass::kReserved},
    // ::ffff:0:0/96, IPv4-mapped: judged as the IPv4 address inside
    {"::fffe:ffff:ffff", AddressClass::kReserved},
    {"::ffff:0.0.0.0", AddressClass::kUnspecified},
    {"::ffff:127.0.0.1", AddressClass::kLoopback},
    {"::ffff:10.0.0.1", AddressClass::kPrivate},
    {"::ffff:169.254.169.254", AddressClass::kLinkLocal},
    {"::ffff:224.0.0.1", AddressClass::kMulticast},
    {"::ffff:8.8.8.8", AddressClass::kPublic},
    {"::ffff:255.255.255.255", AddressClass::kReserved},
    {"::1:0:0:0", AddressClass::kReserved},
    // 64:ff9b::/96, NAT64: a translator connects to the IPv4 address inside
    {"64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", AddressClass::kReserved},
    {"64:ff9b::", AddressClass::kUnspecified},
    {"64:ff9b::7f00:1", AddressClass::kLoopback},
    {"64:ff9b::a00:1", AddressClass::kPrivate},
    {"64:ff9b::a9fe:a9fe", AddressClass::kLinkLocal},
    {"64:ff9b::808:808", AddressClass::kPublic},
    {"64:ff9b::ffff:ffff", AddressClass::kReserved},
    {"64:ff9b::1:0:0", AddressClass::kReserved},
    // 2000::/3, global unicast: the only public IPv6 space
    {"1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressClass::kReserved},
    {"2000::", AddressClass::kPublic},
    {"2001:db8::1", AddressClass::kPublic},
    {"3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressClass::kPublic},
    {"4000::", AddressClass::kReserved},
    // 2002::/16, 6to4: the IPv4 address in bits 16..47 is where the packets end up
    {"2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressClass::kPublic},
    {"2002::", AddressClass::kUnspecified},
    {"2002:7f00:1::", AddressClass::kLoopback},
    {"2002:a00:1::1", AddressClass::kPrivate},
    {"2002:a9fe:a9fe::", AddressClass::kLinkLocal},
    {"2002:808:808::1", AddressClass::kPublic},
    {"2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressClass::kReserved},
    {"2003::", AddressClass::kPublic},
    // fc00::/7, unique local: fc00::/8 as well as fd00::/8
    {"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressClass::kReserved},
    {"fc00::", AddressClass::kPrivate},
    {"fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressClass::kPrivate},
    {"fd00::", AddressClass::kPrivate},
    {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressClass::kPrivate},
    {"fe00::", AddressClass::kReserved},
    // fe80::/10, link-local; fec0::/10 (deprecated site-local) after it
    {"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressClass::kReserved},
    {"fe80::", AddressClass::kLinkLocal},
    {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressClass::kLinkLocal},
    {"fec0::1", AddressClass::kReserved},
    // ff00::/8, multicast
    {"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressClass::kReserved},
    {"ff00::", AddressClass::kMulticast},
    {"ff02::1", AddressClass::kMulticast},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressClass::kMulticast},

    // Not an address at all (a zone id, a name, an IPv4 address with a leading zero).
    {"fe80::1%eth0", AddressClass::kReserved},
    {"localhost", AddressClass::kReserved},
    {"010.0.0.1", AddressClass::kReserved},
    {"", AddressClass::kReserved},
};

// Which classes each policy lets a fetch connect to: the contract of check_address.
bool allowed_by(AddressClass c, const FetchPolicy& policy) {
  switch (c) {
    case AddressClass::kPublic:
      return true;
    case AddressClass::kLoopback:
      return policy.allow_loopback;
    case AddressClass::kPrivate:
    case AddressClass::kLinkLocal:
      return policy.allow_private;
    case AddressClass::kUnspecified:
    case AddressClass::kMulticast:
    case AddressClass::kReserved:
      return false;
  }
  return false;
}

}  // namespace

TEST_CASE("every address range is classified right on both sides of each boundary") {
  for (const auto& c : kAddressCases) {
    INFO(c.address << " should be " << address_class_name(c.expected) << ", is "
                   << address_class_name(classify_address(c.address)));
    CHECK(classify_address(c.address) == c.expected);
  }
}

TEST_CASE("each policy allows exactly its ranges, allow_private and allow_loopback included") {
  for (bool allow_loopback : {false, true}) {
    for (bool allow_private : {false, true}) {
      FetchPolicy policy;
      policy.allow_loopback = allow_loopback;
      policy.allow_private = allow_private;
      for (const auto& c : kAddressCases) {
        INFO(c.address << " (" << address_class_name(c.expected) << ") with allow_loopback="
                       << allow_loopback << " allow_private=" << allow_private);
        Status checked = check_address(c.address, policy);
        CHECK(checked.is_ok() == allowed_by(c.expected, policy));
        if (!checked.is_ok()) {
          CHECK(fetch_error_of(checked) == FetchError::kAddressRefused);
          CHECK(checked.detail("range") == address_class_name(classify_address(c.address)));
          CHECK(checked.detail("address") == c.address);
        }
      }
    }
  }
  // allow_private opens the private and link-local ranges, and nothing that is neither.
  FetchPolicy open;
  open.allow_private = true;
  for (const char* address : {"10.0.0.1", "172.16.0.1", "192.168.0.1", "100.64.0.1", "fc00::1",
                              "fd12::1", "169.254.169.254", "fe80::1", "::ffff:192.168.0.1"}) {
    INFO(address);
    CHECK(check_address(address, open).is_ok());
  }
  for (const char* address : {"127.0.0.1", "::1", "0.0.0.0", "::", "224.0.0.1", "ff02::1",
                              "240.0.0.1", "192.0.0.8", "198.18.0.1", "fec0::1", "::10.0.0.1"}) {
    INFO(address);
    CHECK_FALSE(check_address(address, open).is_ok());
  }
}
