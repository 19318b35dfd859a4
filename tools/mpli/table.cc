#include "tools/mpli/table.h"

#include <algorithm>
#include <sstream>

namespace mpli::cli {
namespace {

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::string one_line(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return out;
}

std::string pad(const std::string& text, size_t width, bool right) {
  size_t shown = display_width(text);
  if (shown >= width) return text;
  std::string spaces(width - shown, ' ');
  return right ? spaces + text : text + spaces;
}

void trim_right(std::string& line) {
  while (!line.empty() && line.back() == ' ') line.pop_back();
}

}  // namespace

size_t display_width(const std::string& text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return !is_continuation(c); }));
}

std::string truncate_cell(const std::string& text, size_t width) {
  if (width == 0 || display_width(text) <= width) return text;
  // Keep width - 1 code points, then the ellipsis.
  size_t kept = 0;
  size_t end = 0;
  while (end < text.size()) {
    if (!is_continuation(text[end])) {
      if (kept == width - 1) break;
      ++kept;
    }
    ++end;
  }
  return text.substr(0, end) + "…";
}

std::string render_table(const std::vector<Column>& columns,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.size());
  std::vector<size_t> widths;
  widths.reserve(columns.size());
  for (const Column& column : columns) widths.push_back(display_width(column.header));
  for (const auto& row : rows) {
    std::vector<std::string> line;
    for (size_t c = 0; c < columns.size(); ++c) {
      std::string cell =
          c < row.size() ? truncate_cell(one_line(row[c]), columns[c].max_width) : "";
      widths[c] = std::max(widths[c], display_width(cell));
      line.push_back(std::move(cell));
    }
    cells.push_back(std::move(line));
  }
  std::ostringstream out;
  auto write_line = [&](const std::vector<std::string>& line) {
    std::string text;
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) text += "  ";
      text += pad(line[c], widths[c], columns[c].right_aligned);
    }
    trim_right(text);
    out << text << "\n";
  };
  std::vector<std::string> headers;
  headers.reserve(columns.size());
  for (const Column& column : columns) headers.push_back(column.header);
  write_line(headers);
  for (const auto& line : cells) write_line(line);
  return out.str();
}

std::string render_fields(const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& [name, value] : fields) width = std::max(width, display_width(name) + 1);
  std::ostringstream out;
  for (const auto& [name, value] : fields) {
    std::string line =
        pad(name + ":", width, false) + "  " + (value.empty() ? "-" : one_line(value));
    trim_right(line);
    out << line << "\n";
  }
  return out.str();
}

}  // namespace mpli::cli
