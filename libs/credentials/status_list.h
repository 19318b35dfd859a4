// W3C Bitstring Status List v1.0: reading a credential's BitstringStatusListEntry, reading a
// status list credential, and decoding/encoding its GZIP-compressed, multibase bitstring.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/status.h"
#include "libs/credentials/verified_credential.h"

namespace mpli::credentials {

// The decompressed bitstring. Bit 0 is the most significant bit of byte 0 (the spec's order),
// so a list published by anyone else reads the same here.
class StatusList {
 public:
  explicit StatusList(std::string bytes) : bytes_(std::move(bytes)) {}

  // The status_size-bit value of entry `index` (entry i spans bits [i*size, (i+1)*size)),
  // most significant bit first. kMalformed when the entry lies outside the list, or when
  // status_size is not 1..32.
  Result<uint32_t> bit(uint64_t index, int status_size = 1) const;

  uint64_t bit_count() const { return static_cast<uint64_t>(bytes_.size()) * 8; }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

// The spec asks issuers for at least 16 KB (131,072 entries) uncompressed, for herd privacy.
// That is the issuer's duty; a shorter list is still read, not refused.
inline constexpr size_t kStatusListMinimumBytes = size_t{16} * 1024;

// encodedList: 'u' (multibase base64url, no padding) + GZIP. Inflation stops at
// max_decoded_bytes (kTooLarge): a few kilobytes of GZIP can claim gigabytes. Every other
// failure (prefix, alphabet, truncated or corrupt GZIP, trailing garbage) is kMalformed.
Result<StatusList> decode_status_list(std::string_view encoded_list, size_t max_decoded_bytes);

// The inverse, for the hub's own published list and for tests: 'u' + base64url(gzip(bytes)).
// `bits` is the raw bitstring (MSB-first), normally at least kStatusListMinimumBytes long.
Result<std::string> encode_status_list(std::string_view bits);

// A credential's credentialStatus of type BitstringStatusListEntry. statusListIndex may be a
// decimal string (as the spec writes it) or a JSON number. Errors are kMalformed with the
// field named in the message and in detail "field".
Result<StatusReference> read_status_entry(const nlohmann::json& credential_status);

struct StatusListCredentialInfo {
  std::vector<std::string> purposes;  // credentialSubject.statusPurpose (a string or an array)
  std::string encoded_list;           // credentialSubject.encodedList, still encoded
};

// A status list credential (its signature already verified by the caller):
// credentialSubject.type must be BitstringStatusList.
Result<StatusListCredentialInfo> read_status_list_credential(const nlohmann::json& credential);

}  // namespace mpli::credentials
