#include "services/discovery/domain/paging.h"

#include <algorithm>
#include <charconv>

namespace mpli::discovery {

size_t page_budget(size_t configured, int64_t max_payload) {
  if (max_payload <= 0) return configured;
  return std::min(configured, static_cast<size_t>(max_payload / 2));
}

size_t items_within(const std::vector<size_t>& item_bytes, size_t budget) {
  size_t used = 0;
  size_t count = 0;
  for (size_t bytes : item_bytes) {
    if (count > 0 && used + bytes > budget) break;
    used += bytes;
    ++count;
  }
  return count;
}

size_t lines_within(std::string_view text, size_t budget) {
  if (budget == 0) return 0;
  size_t taken = 0;
  while (taken < text.size()) {
    size_t end = text.find('\n', taken);
    if (end == std::string_view::npos) break;  // an incomplete line is never taken
    size_t next = end + 1;
    if (taken > 0 && next > budget) break;
    taken = next;
    if (taken >= budget) break;
  }
  return taken;
}

size_t utf8_characters(std::string_view bytes) {
  size_t count = 0;
  for (char c : bytes) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;  // not a continuation byte
  }
  return count;
}

bool ExportPosition::operator==(const ExportPosition& other) const {
  return provider_id == other.provider_id && offset == other.offset && finished == other.finished;
}

// "<provider id>\n<offset>" or "<provider id>\nend". Provider ids never hold '\n'.
std::string encode_export_position(const ExportPosition& position) {
  return position.provider_id + "\n" +
         (position.finished ? std::string("end") : std::to_string(position.offset));
}

std::optional<ExportPosition> decode_export_position(std::string_view text) {
  size_t cut = text.find('\n');
  if (cut == std::string_view::npos || cut == 0) return std::nullopt;
  ExportPosition position;
  position.provider_id = std::string(text.substr(0, cut));
  std::string_view rest = text.substr(cut + 1);
  if (rest == "end") {
    position.finished = true;
    return position;
  }
  auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), position.offset);
  if (error != std::errc() || end != rest.data() + rest.size() || position.offset < 0) {
    return std::nullopt;
  }
  return position;
}

ExportPage assemble_export_page(const std::vector<DocumentChunk>& chunks, size_t budget,
                                bool more_after, size_t already_used) {
  ExportPage page;
  for (const auto& chunk : chunks) {
    size_t used = already_used + page.document.size();
    size_t room = budget - std::min(budget, used);
    size_t taken = lines_within(chunk.text, used == 0 ? budget : room);
    if (used > 0 && taken > room) taken = 0;  // only a page's first line may overrun
    int64_t reached =
        chunk.offset +
        static_cast<int64_t>(utf8_characters(std::string_view(chunk.text).substr(0, taken)));
    if (taken == 0 && used == 0 && reached < chunk.total_characters) {
      page.needs_longer_chunk = true;
      page.next = ExportPosition{chunk.provider_id, chunk.offset, false};
      return page;
    }
    page.document.append(chunk.text, 0, taken);
    if (reached < chunk.total_characters) {
      page.next = ExportPosition{chunk.provider_id, reached, false};
      return page;
    }
  }
  if (more_after && !chunks.empty()) page.next = ExportPosition{chunks.back().provider_id, 0, true};
  return page;
}

}  // namespace mpli::discovery
