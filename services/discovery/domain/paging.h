// Pages that fit on the bus. List and export replies are cut at a byte budget well under the
// NATS max payload (a reply over it cannot be delivered at all, so every caller would time
// out), and every page makes progress: it holds at least one item or one line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mpli::discovery {

// Bytes a page may use: `configured`, but never more than half the bus's max payload, which
// leaves room for the reply's other fields and headers. `max_payload` 0 means unknown.
size_t page_budget(size_t configured, int64_t max_payload);

// How many leading items (their encoded sizes, in page order) fit in `budget` bytes together;
// at least one when there is any, so a single large item still gets its own page.
size_t items_within(const std::vector<size_t>& item_bytes, size_t budget);

// The length of the longest prefix of `text` made of whole lines ('\n'-terminated) that fits
// in `budget`; when the first line alone is longer, that line; 0 when `text` holds no whole
// line. `budget` 0 means nothing may be added.
size_t lines_within(std::string_view text, size_t budget);

// UTF-8 characters in `bytes` (PostgreSQL's substr() counts characters, not bytes).
size_t utf8_characters(std::string_view bytes);

// Where an export page resumes: inside `provider_id`'s document at character `offset`, or,
// when `finished`, with the provider after it.
struct ExportPosition {
  std::string provider_id;
  int64_t offset = 0;
  bool finished = false;
  bool operator==(const ExportPosition& other) const;
};
std::string encode_export_position(const ExportPosition& position);
std::optional<ExportPosition> decode_export_position(std::string_view text);

// A piece of one provider's N-Triples document, as the store read it: `text` starts at
// character `offset` of a document of `total_characters`.
struct DocumentChunk {
  std::string provider_id;
  int64_t offset = 0;
  std::string text;
  int64_t total_characters = 0;
};

struct ExportPage {
  std::string document;  // whole lines only
  // Where the next page starts; nullopt when this page ends the catalogue.
  std::optional<ExportPosition> next;
  // Nothing could be taken: the first chunk holds no whole line (one line is longer than
  // the chunk). Read that chunk longer and assemble again.
  bool needs_longer_chunk = false;
};

// Fills a page of at most `budget` bytes (or one line, when a line alone is longer) from
// `chunks` in order. `more_after`: providers beyond the last chunk may exist.
// `already_used`: bytes of the page filled from earlier chunks (then no line may overrun).
// A returned `next` that is `finished` means every chunk was taken whole: the page may go on
// with the providers after it.
ExportPage assemble_export_page(const std::vector<DocumentChunk>& chunks, size_t budget,
                                bool more_after, size_t already_used = 0);

}  // namespace mpli::discovery
