#include "libs/credentials/status_list.h"

#include <zlib.h>

#include <array>
#include <charconv>
#include <limits>

#include "libs/credentials/base64url.h"
#include "libs/credentials/refusal.h"

namespace mpli::credentials {
namespace {

constexpr int kMaxStatusSize = 32;

Status bad_field(const std::string& field, const std::string& message) {
  return refusal(Refusal::kMalformed, field + ": " + message).with_detail("field", field);
}

// One owner for a z_stream: inflateEnd/deflateEnd run on every path out.
struct InflateStream {
  z_stream stream{};
  bool open = false;
  ~InflateStream() {
    if (open) inflateEnd(&stream);
  }
};
struct DeflateStream {
  z_stream stream{};
  bool open = false;
  ~DeflateStream() {
    if (open) deflateEnd(&stream);
  }
};

Result<std::string> gunzip(std::string_view compressed, size_t max_bytes) {
  InflateStream z;
  // 16 + MAX_WBITS: a GZIP wrapper (header and CRC-32 checked), not raw zlib.
  if (inflateInit2(&z.stream, 16 + MAX_WBITS) != Z_OK) {
    return internal_error("status list: inflateInit2 failed");
  }
  z.open = true;
  z.stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  std::array<char, 16384> chunk{};
  while (true) {
    z.stream.next_out = reinterpret_cast<Bytef*>(chunk.data());
    z.stream.avail_out = static_cast<uInt>(chunk.size());
    int rc = inflate(&z.stream, Z_NO_FLUSH);
    size_t produced = chunk.size() - z.stream.avail_out;
    // Checked before appending, so a bomb never costs more than max_bytes + one chunk.
    if (out.size() + produced > max_bytes) {
      return refusal(Refusal::kTooLarge, "status list: decompresses to more than " +
                                             std::to_string(max_bytes) + " bytes");
    }
    out.append(chunk.data(), produced);
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR && z.stream.avail_in == 0) {
      return refusal(Refusal::kMalformed, "status list: GZIP data is truncated");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return refusal(Refusal::kMalformed,
                     std::string("status list: bad GZIP data: ") +
                         (z.stream.msg ? z.stream.msg : "error " + std::to_string(rc)));
    }
  }
  // A second GZIP member or garbage after the first would be read by nobody: refuse it rather
  // than let two readers disagree about the list.
  if (z.stream.avail_in != 0) {
    return refusal(Refusal::kMalformed, "status list: bytes after the end of the GZIP data");
  }
  return out;
}

const nlohmann::json* member(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

Result<uint64_t> parse_index(const nlohmann::json& value) {
  const std::string field = "statusListIndex";
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer()) {
    auto signed_index = value.get<int64_t>();
    if (signed_index < 0) return bad_field(field, "must not be negative");
    return static_cast<uint64_t>(signed_index);
  }
  if (!value.is_string()) return bad_field(field, "must be a decimal string or an integer");
  const auto& text = value.get_ref<const std::string&>();
  if (text.empty()) return bad_field(field, "is empty");
  // from_chars alone would accept "12abc" as 12; require every character to be a digit and
  // no leading zeros, so one index has one spelling.
  for (char c : text) {
    if (c < '0' || c > '9') return bad_field(field, "'" + text + "' is not a decimal integer");
  }
  if (text.size() > 1 && text[0] == '0') return bad_field(field, "has a leading zero");
  uint64_t index = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), index);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return bad_field(field, "'" + text + "' is out of range");
  }
  return index;
}

}  // namespace

Result<uint32_t> StatusList::bit(uint64_t index, int status_size) const {
  if (status_size < 1 || status_size > kMaxStatusSize) {
    return refusal(Refusal::kMalformed,
                   "status list: statusSize " + std::to_string(status_size) + " not in 1..32");
  }
  const auto size = static_cast<uint64_t>(status_size);
  // index * size may overflow for a hostile index; compare by division instead.
  if (index >= bit_count() / size) {
    return refusal(Refusal::kMalformed, "status list: index " + std::to_string(index) +
                                            " is beyond the list's " +
                                            std::to_string(bit_count() / size) + " entries");
  }
  uint32_t value = 0;
  const uint64_t first = index * size;
  for (uint64_t b = first; b < first + size; ++b) {
    auto byte = static_cast<unsigned char>(bytes_[static_cast<size_t>(b / 8)]);
    uint32_t bit_value = (byte >> (7 - (b % 8))) & 1U;
    value = (value << 1) | bit_value;
  }
  return value;
}

Result<StatusList> decode_status_list(std::string_view encoded_list, size_t max_decoded_bytes) {
  if (encoded_list.empty() || encoded_list[0] != 'u') {
    return refusal(Refusal::kMalformed,
                   "status list: encodedList must start with the multibase prefix 'u' "
                   "(base64url, no padding)");
  }
  auto compressed = base64url_decode(encoded_list.substr(1));
  if (!compressed.is_ok()) {
    return refusal(Refusal::kMalformed,
                   "status list: encodedList: " + compressed.status().message());
  }
  MPLI_ASSIGN_OR_RETURN(auto bytes, gunzip(*compressed, max_decoded_bytes));
  return StatusList(std::move(bytes));
}

Result<std::string> encode_status_list(std::string_view bits) {
  DeflateStream z;
  // windowBits 16 + 15 writes a GZIP wrapper; level 9 because lists are published once and
  // fetched many times.
  if (deflateInit2(&z.stream, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return internal_error("status list: deflateInit2 failed");
  }
  z.open = true;
  if (bits.size() > std::numeric_limits<uInt>::max()) {
    return too_large("status list: bitstring too large to compress");
  }
  std::string compressed(deflateBound(&z.stream, static_cast<uLong>(bits.size())) + 32, '\0');
  z.stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bits.data()));
  z.stream.avail_in = static_cast<uInt>(bits.size());
  z.stream.next_out = reinterpret_cast<Bytef*>(compressed.data());
  z.stream.avail_out = static_cast<uInt>(compressed.size());
  if (deflate(&z.stream, Z_FINISH) != Z_STREAM_END) {
    return internal_error("status list: deflate did not finish");
  }
  compressed.resize(z.stream.total_out);
  return "u" + base64url_encode(compressed);
}

Result<StatusReference> read_status_entry(const nlohmann::json& credential_status) {
  if (!credential_status.is_object()) {
    return bad_field("credentialStatus", "must be an object");
  }
  const nlohmann::json* type = member(credential_status, "type");
  bool typed = false;
  if (type && type->is_string()) typed = *type == "BitstringStatusListEntry";
  if (type && type->is_array()) {
    for (const auto& t : *type) typed = typed || t == "BitstringStatusListEntry";
  }
  if (!typed) return bad_field("credentialStatus.type", "must be BitstringStatusListEntry");

  StatusReference ref;
  const nlohmann::json* purpose = member(credential_status, "statusPurpose");
  if (!purpose || !purpose->is_string() || purpose->get_ref<const std::string&>().empty()) {
    return bad_field("statusPurpose", "missing or not a non-empty string");
  }
  ref.purpose = purpose->get<std::string>();

  const nlohmann::json* index = member(credential_status, "statusListIndex");
  if (!index) return bad_field("statusListIndex", "missing");
  MPLI_ASSIGN_OR_RETURN(ref.index, parse_index(*index));

  const nlohmann::json* list = member(credential_status, "statusListCredential");
  if (!list || !list->is_string() || list->get_ref<const std::string&>().empty()) {
    return bad_field("statusListCredential", "missing or not a non-empty string");
  }
  ref.list_credential = list->get<std::string>();

  if (const nlohmann::json* size = member(credential_status, "statusSize")) {
    if (!size->is_number_integer() || size->get<int64_t>() < 1 ||
        size->get<int64_t>() > kMaxStatusSize) {
      return bad_field("statusSize", "must be an integer from 1 to 32");
    }
    ref.size = size->get<int>();
  }
  return ref;
}

Result<StatusListCredentialInfo> read_status_list_credential(const nlohmann::json& credential) {
  if (!credential.is_object()) return bad_field("credential", "must be an object");
  const nlohmann::json* subject = member(credential, "credentialSubject");
  if (!subject || !subject->is_object()) {
    return bad_field("credentialSubject", "missing or not an object");
  }
  const nlohmann::json* type = member(*subject, "type");
  if (!type || *type != "BitstringStatusList") {
    return bad_field("credentialSubject.type", "must be BitstringStatusList");
  }
  StatusListCredentialInfo info;
  const nlohmann::json* purpose = member(*subject, "statusPurpose");
  if (purpose && purpose->is_string()) info.purposes.push_back(purpose->get<std::string>());
  if (purpose && purpose->is_array()) {
    for (const auto& p : *purpose) {
      if (!p.is_string()) break;
      info.purposes.push_back(p.get<std::string>());
    }
    if (info.purposes.size() != purpose->size()) info.purposes.clear();
  }
  if (info.purposes.empty()) {
    return bad_field("credentialSubject.statusPurpose", "missing, or not a string or strings");
  }
  const nlohmann::json* encoded = member(*subject, "encodedList");
  if (!encoded || !encoded->is_string()) {
    return bad_field("credentialSubject.encodedList", "missing or not a string");
  }
  info.encoded_list = encoded->get<std::string>();
  return info;
}

}  // namespace mpli::credentials
