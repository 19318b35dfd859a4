#include "workers/disk-image/domain/image_plan.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace mpli::diskimage {
namespace {

constexpr int64_t kMaxDiskGb = 65536;
constexpr int64_t kMib = int64_t{1024} * 1024;

bool token_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

bool is_token(const std::string& text) {
  if (text.empty() || text.size() > 128) return false;
  for (char c : text) {
    if (!token_character(c)) return false;
  }
  return true;
}

std::string parameter(const std::map<std::string, std::string>& parameters,
                      const std::string& key) {
  auto it = parameters.find(key);
  return it == parameters.end() ? std::string() : it->second;
}

}  // namespace

std::optional<int64_t> parse_count(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value < 0) return std::nullopt;
  return value;
}

std::string format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::kQcow2:
      return "qcow2";
    case ImageFormat::kRaw:
      return "raw";
    case ImageFormat::kVmdk:
      return "vmdk";
  }
  return "raw";
}

Result<ImageFormat> parse_format(const std::string& field, const std::string& text) {
  if (text == "qcow2") return ImageFormat::kQcow2;
  if (text == "raw") return ImageFormat::kRaw;
  if (text == "vmdk") return ImageFormat::kVmdk;
  return invalid_field(field, "must be qcow2, raw or vmdk, not '" + text + "'");
}

Result<std::string> image_file_name(const std::string& order_id, ImageFormat format) {
  if (!is_token(order_id)) {
    return invalid_field("order_id", "'" + order_id +
                                         "' cannot name an image: 1-128 letters, digits, '-' "
                                         "or '_' expected");
  }
  return order_id + "." + format_name(format);
}

std::string frozen_marker_name(const std::string& order_id) { return order_id + ".frozen"; }

Result<int64_t> image_size(const std::map<std::string, std::string>& parameters) {
  const std::string disk_gb = parameter(parameters, "disk_gb");
  if (!disk_gb.empty()) {
    auto gb = parse_count(disk_gb);
    if (!gb || *gb < 1 || *gb > kMaxDiskGb) {
      return invalid_field("disk_gb", "must be a whole number of GiB from 1 to " +
                                          std::to_string(kMaxDiskGb) + ", not '" + disk_gb + "'");
    }
    return *gb * 1024 * kMib;
  }
  const std::string size = parameter(parameters, "size");
  if (size.empty()) return kDefaultImageBytes;
  std::string digits = size;
  int64_t unit = 1;
  switch (size.back()) {
    case 'K':
    case 'k':
      unit = 1024;
      break;
    case 'M':
    case 'm':
      unit = kMib;
      break;
    case 'G':
    case 'g':
      unit = 1024 * kMib;
      break;
    case 'T':
    case 't':
      unit = int64_t{1024} * 1024 * kMib;
      break;
    default:
      break;
  }
  if (unit != 1) digits.pop_back();
  auto count = parse_count(digits);
  const int64_t max_bytes = kMaxDiskGb * 1024 * kMib;
  if (!count || *count > max_bytes / unit) {
    return invalid_field("size", "must be bytes with an optional K, M, G or T suffix, at most " +
                                     std::to_string(kMaxDiskGb) + "G, not '" + size + "'");
  }
  int64_t bytes = *count * unit;
  if (bytes < kMib || bytes % 512 != 0) {
    return invalid_field("size",
                         "must be at least 1M and a multiple of 512 bytes, not '" + size + "'");
  }
  return bytes;
}

Result<int64_t> chunk_bytes(const std::map<std::string, std::string>& parameters, int64_t limit) {
  const std::string text = parameter(parameters, "chunk_bytes");
  if (text.empty()) return std::min(kDefaultChunkBytes, limit);
  auto value = parse_count(text);
  if (!value || *value < 1 || *value > limit) {
    return invalid_field("chunk_bytes", "must be from 1 to " + std::to_string(limit) +
                                            " (what one NATS message holds), not '" + text + "'");
  }
  return *value;
}

Status check_migration_id(const std::string& migration_id) {
  if (!is_token(migration_id)) {
    return invalid_field("migration_id", "'" + migration_id +
                                             "' must be 1-128 letters, digits, '-' or '_' (it "
                                             "becomes a subject token)");
  }
  return Status::ok();
}

std::string chunk_subject(const std::string& migration_id) {
  return "mpli.transfer.v1." + migration_id + ".chunk";
}
std::string end_subject(const std::string& migration_id) {
  return "mpli.transfer.v1." + migration_id + ".end";
}
std::string transfer_filter(const std::string& migration_id) {
  return "mpli.transfer.v1." + migration_id + ".*";
}
std::string chunk_msg_id(const std::string& migration_id, int64_t index) {
  return migration_id + "." + std::to_string(index);
}
std::string end_msg_id(const std::string& migration_id) { return migration_id + ".end"; }

std::string encode_summary(const TransferSummary& summary) {
  nlohmann::json json = {{"count", summary.chunks},
                         {"bytes", summary.bytes},
                         {"sha256", summary.sha256},
                         {"format", summary.format}};
  return json.dump();
}

Result<TransferSummary> decode_summary(const std::string& text) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return invalid_argument("the transfer's end message is not a JSON object");
  }
  TransferSummary summary;
  const auto count = json.find("count");
  const auto bytes = json.find("bytes");
  const auto sha256 = json.find("sha256");
  const auto format = json.find("format");
  if (count == json.end() || !count->is_number_integer() || bytes == json.end() ||
      !bytes->is_number_integer() || sha256 == json.end() || !sha256->is_string() ||
      format == json.end() || !format->is_string()) {
    return invalid_argument(
        "the transfer's end message needs count and bytes (integers), sha256 and format "
        "(strings)");
  }
  summary.chunks = count->get<int64_t>();
  summary.bytes = bytes->get<int64_t>();
  summary.sha256 = sha256->get<std::string>();
  summary.format = format->get<std::string>();
  return summary;
}

Status check_transfer(const std::map<std::string, std::string>& parameters,
                      const TransferSummary& announced, const TransferSummary& received) {
  if (received.chunks != announced.chunks) {
    return failed_precondition("read " + std::to_string(received.chunks) +
                               " chunks, the end message announces " +
                               std::to_string(announced.chunks));
  }
  if (received.bytes != announced.bytes) {
    return failed_precondition("read " + std::to_string(received.bytes) +
                               " bytes, the end message announces " +
                               std::to_string(announced.bytes));
  }
  if (received.sha256 != announced.sha256) {
    return failed_precondition("the image read has sha256 " + received.sha256 +
                               ", the end message announces " + announced.sha256 +
                               ": a chunk was corrupted");
  }
  const std::map<std::string, std::string> expected = {{"chunks", std::to_string(received.chunks)},
                                                       {"bytes", std::to_string(received.bytes)},
                                                       {"sha256", received.sha256}};
  for (const auto& [key, value] : expected) {
    const std::string wanted = parameter(parameters, key);
    if (!wanted.empty() && wanted != value) {
      return failed_precondition("parameter " + key + " says " + wanted + ", the transfer holds " +
                                 value);
    }
  }
  return Status::ok();
}

}  // namespace mpli::diskimage
