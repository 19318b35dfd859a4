#include "services/discovery/domain/cursor.h"

#include "libs/core/digest.h"
#include "services/discovery/domain/errors.h"

namespace mpli::discovery {
namespace {

constexpr size_t kSha256BlockBytes = 64;

std::string sha256(std::string_view data) {
  std::string hex = digest::sha256_hex(data);
  std::string raw;
  raw.reserve(hex.size() / 2);
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    raw += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
  }
  return raw;
}

const char* kind_label(CursorKind kind) {
  switch (kind) {
    case CursorKind::kOfferings:
      return "offerings";
    case CursorKind::kProviders:
      return "providers";
    case CursorKind::kExport:
      return "export";
  }
  return "";
}

std::string mac_of(const std::string& secret, CursorKind kind, std::string_view position) {
  std::string message = kind_label(kind);
  message += '\0';
  message += position;
  return hmac_sha256(secret, message);
}

// Compares every byte whatever the first difference, so timing tells nothing about the MAC.
bool same_bytes(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return difference == 0;
}

Status bad_cursor(const std::string& why) {
  return discovery_error(StatusCode::kInvalidArgument, v1::BAD_CURSOR,
                         "cursor: " + why + "; start again without a cursor",
                         {{"field", "cursor"}});
}

constexpr const char* kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

std::string hmac_sha256(std::string_view key, std::string_view message) {
  std::string block_key = key.size() > kSha256BlockBytes ? sha256(key) : std::string(key);
  block_key.resize(kSha256BlockBytes, '\0');
  std::string inner(kSha256BlockBytes, '\0');
  std::string outer(kSha256BlockBytes, '\0');
  for (size_t i = 0; i < kSha256BlockBytes; ++i) {
    inner[i] = static_cast<char>(block_key[i] ^ 0x36);
    outer[i] = static_cast<char>(block_key[i] ^ 0x5c);
  }
  inner.append(message.data(), message.size());
  return sha256(outer + sha256(inner));
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<unsigned char>(bytes[k]); };
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint32_t{at(i)} << 16) | (uint32_t{at(i + 1)} << 8) | at(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(n >> shift) & 0x3f];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t n = uint32_t{at(i)} << 16;
    out += kAlphabet[(n >> 18) & 0x3f];
    out += kAlphabet[(n >> 12) & 0x3f];
  } else if (rest == 2) {
    uint32_t n = (uint32_t{at(i)} << 16) | (uint32_t{at(i + 1)} << 8);
    out += kAlphabet[(n >> 18) & 0x3f];
    out += kAlphabet[(n >> 12) & 0x3f];
    out += kAlphabet[(n >> 6) & 0x3f];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v = value(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero, so each byte string has exactly one encoding.
  if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string CursorCodec::seal(CursorKind kind, std::string_view position) const {
  return base64url_encode(position) + "." + base64url_encode(mac_of(secret_, kind, position));
}

Result<std::string> CursorCodec::open(CursorKind kind, std::string_view cursor) const {
  if (cursor.size() > kMaxCursorLength) return bad_cursor("longer than any cursor this hub issues");
  size_t dot = cursor.find('.');
  if (dot == std::string_view::npos) return bad_cursor("not a cursor issued by this hub");
  auto position = base64url_decode(cursor.substr(0, dot));
  auto mac = base64url_decode(cursor.substr(dot + 1));
  if (!position || !mac) return bad_cursor("not a cursor issued by this hub");
  if (!same_bytes(*mac, mac_of(secret_, kind, *position))) {
    return bad_cursor("not issued by this hub for this listing (or issued before its restart)");
  }
  return *position;
}

}  // namespace mpli::discovery
