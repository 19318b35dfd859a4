// The disk-image worker's decisions, free of any file or process: the image formats a store may
// hold, where an order's image lives, how big a new image is, how an export is cut into chunks
// on which subjects, and the end-of-transfer record that lets the import check what it read.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "libs/core/status.h"

namespace mpli::diskimage {

// The formats qemu-img reads and writes here: the store's own, and a source's on import.
enum class ImageFormat { kQcow2, kRaw, kVmdk };

// "qcow2", "raw", "vmdk": qemu-img's names, also the file extension.
std::string format_name(ImageFormat format);
// kInvalidArgument naming `field` for anything else.
Result<ImageFormat> parse_format(const std::string& field, const std::string& text);

// "<order_id>.<ext>": an order id is one path component, so it may hold only letters, digits,
// '-' and '_' (kInvalidArgument otherwise, naming the field order_id).
Result<std::string> image_file_name(const std::string& order_id, ImageFormat format);
// "<order_id>.frozen": while it exists, the worker changes nothing of the image.
std::string frozen_marker_name(const std::string& order_id);

// The size of a new image, in bytes. Parameter `disk_gb` (whole GiB, 1..65536) wins over `size`
// (bytes with an optional K, M, G or T suffix, powers of 1024, at least 1M and a multiple of
// 512 bytes, which every format accepts); neither = kDefaultImageBytes.
inline constexpr int64_t kDefaultImageBytes = 64LL * 1024 * 1024;
Result<int64_t> image_size(const std::map<std::string, std::string>& parameters);

// The bytes of each chunk: parameter chunk_bytes (1..limit), default min(1 MiB, limit). `limit`
// is what NATS accepts in one message, less room for headers.
inline constexpr int64_t kDefaultChunkBytes = 1024 * 1024;
Result<int64_t> chunk_bytes(const std::map<std::string, std::string>& parameters, int64_t limit);

// The transfer of one migration's image: JetStream stream MPLI_TRANSFER, chunk i on
// chunk_subject with Nats-Msg-Id "<migration_id>.<i>", then one end record.
inline constexpr const char* kTransferStream = "MPLI_TRANSFER";
inline constexpr const char* kChunkIndexHeader = "Mpli-Chunk-Index";
// kInvalidArgument unless the id is one subject token (letters, digits, '-', '_').
Status check_migration_id(const std::string& migration_id);
std::string chunk_subject(const std::string& migration_id);
std::string end_subject(const std::string& migration_id);
std::string transfer_filter(const std::string& migration_id);  // both subjects
std::string chunk_msg_id(const std::string& migration_id, int64_t index);
std::string end_msg_id(const std::string& migration_id);

// What the end message says: the whole file's chunk count, bytes, sha256 (hex) and format.
struct TransferSummary {
  int64_t chunks = 0;
  int64_t bytes = 0;
  std::string sha256;
  std::string format;
};
std::string encode_summary(const TransferSummary& summary);
Result<TransferSummary> decode_summary(const std::string& json);

// What the import expects from its parameters (bytes, chunks, sha256: each optional) compared
// with what the end message and the chunks read say. kDataLoss-like failure (kFailedPrecondition)
// naming the first difference.
Status check_transfer(const std::map<std::string, std::string>& parameters,
                      const TransferSummary& announced, const TransferSummary& received);

// Parses a whole decimal number (no sign, no spaces); nullopt otherwise.
std::optional<int64_t> parse_count(const std::string& text);

}  // namespace mpli::diskimage
