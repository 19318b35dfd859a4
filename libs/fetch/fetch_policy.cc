#include "libs/fetch/fetch_policy.h"

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>

#include "libs/fetch/fetch_error.h"

namespace mpli::fetch {

Status check_url(const std::string& url, const FetchPolicy& policy) {
  auto fail = [](FetchError error, const std::string& problem) {
    return fetch_error(error, "URL: " + problem, {{"problem", problem}});
  };
  auto malformed = [&](const std::string& problem) { return fail(FetchError::kBadUrl, problem); };
  if (url.size() > 2048) return malformed("longer than 2048 characters");
  std::string scheme;
  if (url.rfind("https://", 0) == 0) {
    scheme = "https";
  } else if (url.rfind("http://", 0) == 0) {
    if (!policy.allow_http) {
      return fail(FetchError::kSchemeRefused,
                  "must use https://; plain http:// is fetched only where the fetch policy "
                  "allows it (allow_http)");
    }
    scheme = "http";
  } else {
    return fail(FetchError::kSchemeRefused, "must be an https:// URL");
  }
  std::string rest = url.substr(scheme.size() + 3);
  std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty()) return malformed("has no host");
  if (authority.find('@') != std::string::npos) return malformed("must not contain credentials");
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return malformed("contains spaces or control characters");
    }
  }
  return Status::ok();
}

const char* address_class_name(AddressClass c) {
  switch (c) {
    case AddressClass::kPublic:
      return "public";
    case AddressClass::kLoopback:
      return "loopback";
    case AddressClass::kPrivate:
      return "private";
    case AddressClass::kLinkLocal:
      return "link-local";
    case AddressClass::kUnspecified:
      return "unspecified";
    case AddressClass::kMulticast:
      return "multicast";
    case AddressClass::kReserved:
      return "reserved";
  }
  return "reserved";
}

namespace {
AddressClass classify_v4(uint32_t a) {
  auto in = [a](uint32_t net, int bits) {
    uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
    return (a & mask) == net;
  };
  if (in(0x7f000000, 8)) return AddressClass::kLoopback;
  if (in(0x0a000000, 8) || in(0xac100000, 12) || in(0xc0a80000, 16) || in(0x64400000, 10)) {
    return AddressClass::kPrivate;
  }
  if (in(0xa9fe0000, 16)) return AddressClass::kLinkLocal;  // includes cloud metadata endpoints
  if (in(0x00000000, 8)) return AddressClass::kUnspecified;
  if (in(0xe0000000, 4)) return AddressClass::kMulticast;
  if (in(0xf0000000, 4) || in(0xc0000000, 24) || in(0xc6120000, 15)) return AddressClass::kReserved;
  return AddressClass::kPublic;
}
}  // namespace

AddressClass classify_address(const std::string& address) {
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) return classify_v4(ntohl(v4.s_addr));
  in6_addr v6{};
  if (inet_pton(AF_INET6, address.c_str(), &v6) != 1) return AddressClass::kReserved;
  const uint8_t* b = v6.s6_addr;
  static const uint8_t kZero[16] = {0};
  if (std::memcmp(b, kZero, 15) == 0 && b[15] == 1) return AddressClass::kLoopback;
  if (std::memcmp(b, kZero, 16) == 0) return AddressClass::kUnspecified;
  auto embedded_v4 = [b](int at) {
    return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) |
           b[at + 3];
  };
  // IPv4-mapped (::ffff:a.b.c.d): judge the IPv4 address, or ::ffff:127.0.0.1 slips through.
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(b, kMapped, 12) == 0) return classify_v4(embedded_v4(12));
  // NAT64 (64:ff9b::a.b.c.d): a translator on the way connects to the IPv4 address inside.
  static const uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b, kNat64, 12) == 0) return classify_v4(embedded_v4(12));
  // 6to4 (2002:aabb:ccdd::/48): the packets end at the IPv4 address aa.bb.cc.dd.
  if (b[0] == 0x20 && b[1] == 0x02) return classify_v4(embedded_v4(2));
  if ((b[0] & 0xfe) == 0xfc) return AddressClass::kPrivate;                    // fc00::/7
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressClass::kLinkLocal;  // fe80::/10
  if (b[0] == 0xff) return AddressClass::kMulticast;
  // Global unicast is 2000::/3; everything else left (IPv4-compatible ::a.b.c.d, site-local
  // fec0::/10, discard-only 100::/64, unassigned space) is no public destination.
  if ((b[0] & 0xe0) != 0x20) return AddressClass::kReserved;
  return AddressClass::kPublic;
}

Status check_address(const std::string& address, const FetchPolicy& policy) {
  AddressClass c = classify_address(address);
  bool allowed =
      c == AddressClass::kPublic || (c == AddressClass::kLoopback && policy.allow_loopback) ||
      ((c == AddressClass::kPrivate || c == AddressClass::kLinkLocal) && policy.allow_private);
  if (allowed) return Status::ok();
  return fetch_error(FetchError::kAddressRefused,
                     "host resolves to " + address + ", a " + address_class_name(c) +
                         " address; the fetch policy does not allow such addresses",
                     {{"address", address}, {"range", address_class_name(c)}});
}

}  // namespace mpli::fetch
