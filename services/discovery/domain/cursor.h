// Opaque, authenticated pagination cursors. A cursor is the position (base64url) and an
// HMAC-SHA256 over the listing's kind and that position, keyed with the cursor.secret setting;
// so a cursor is only accepted by a hub holding the same secret, for the listing that issued
// it, and a tampered or foreign cursor is refused before any query runs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "libs/core/status.h"

namespace mpli::discovery {

enum class CursorKind { kOfferings, kProviders, kExport };

// Longest cursor accepted; positions are ids of at most 2048 characters.
inline constexpr size_t kMaxCursorLength = 8192;

class CursorCodec {
 public:
  explicit CursorCodec(std::string secret) : secret_(std::move(secret)) {}

  std::string seal(CursorKind kind, std::string_view position) const;
  // The position sealed in `cursor`, or kInvalidArgument with field "cursor" and reason
  // BAD_CURSOR.
  Result<std::string> open(CursorKind kind, std::string_view cursor) const;

 private:
  std::string secret_;
};

// RFC 2104 over SHA-256: the 32 raw bytes of the MAC.
std::string hmac_sha256(std::string_view key, std::string_view message);
// RFC 4648 section 5, without padding.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace mpli::discovery
