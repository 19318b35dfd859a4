#include "workers/postgresql/domain/table_copy.h"

#include "libs/core/sql_identifier.h"

namespace mpli::pgworker {

namespace {

std::string column_list(const TableCopy& table) {
  if (table.columns.empty()) return "";  // a table without columns: COPY takes no list
  std::string out = " (";
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    out += (i == 0 ? "" : ", ") + table.columns[i];
  }
  return out + ")";
}

}  // namespace

std::string quoted_table(const TableCopy& table) {
  return quote_identifier(table.schema) + "." + quote_identifier(table.name);
}

std::string copy_out_sql(const TableCopy& table) {
  return "COPY " + quoted_table(table) + column_list(table) + " TO STDOUT (FORMAT " +
         (table.binary ? "binary" : "text") + ")";
}

std::string copy_in_sql(const TableCopy& table) {
  return "COPY " + quoted_table(table) + column_list(table) + " FROM STDIN (FORMAT " +
         (table.binary ? "binary" : "text") + ", FREEZE)";
}

bool same_major_version(int source_version_num, int target_version_num) {
  auto major = [](int version) { return version >= 100000 ? version / 10000 : version / 100; };
  return major(source_version_num) == major(target_version_num);
}

}  // namespace mpli::pgworker
