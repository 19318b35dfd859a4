// Human output of the hub commands: aligned tables with over-wide cells cut short, and
// "key: value" blocks for one resource. Pure: no I/O. Widths count UTF-8 code points, so names
// such as "Nordwolke Köln" line up.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace mpli::cli {

struct Column {
  std::string header;
  size_t max_width = 32;       // 0: never cut (identifiers people copy, e.g. an offering's IRI)
  bool right_aligned = false;  // numbers
};

// The header row, then one line per row; columns two spaces apart, no trailing spaces. A cell
// wider than its column's max_width ends in "…"; newlines and tabs in a cell read as spaces.
// A row shorter than the columns has empty cells.
std::string render_table(const std::vector<Column>& columns,
                         const std::vector<std::vector<std::string>>& rows);

// "name:     value" lines, names aligned; empty values print as "-".
std::string render_fields(const std::vector<std::pair<std::string, std::string>>& fields);

// `text` in at most `width` code points, cut with "…" when longer (width 0: unchanged).
std::string truncate_cell(const std::string& text, size_t width);

// Code points in UTF-8 `text` (continuation bytes do not count).
size_t display_width(const std::string& text);

}  // namespace mpli::cli
