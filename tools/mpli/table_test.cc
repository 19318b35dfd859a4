#include "tools/mpli/table.h"

#include <catch2/catch.hpp>

using namespace mpli::cli;

TEST_CASE("table: columns aligned two spaces apart, numbers on the right, no trailing blanks") {
  std::string table = render_table({{"ID"}, {"COUNT", 10, true}, {"NAME"}},
                                   {{"hexacloud", "3", "Hexacloud SAS"}, {"nw", "12", ""}});
  CHECK(table ==
        "ID         COUNT  NAME\n"
        "hexacloud      3  Hexacloud SAS\n"
        "nw            12\n");
}

TEST_CASE("table: a wide cell is cut with an ellipsis, an uncut column keeps it whole") {
  std::string long_name(40, 'x');
  std::string table =
      render_table({{"NAME", 8}, {"ID", 0}}, {{long_name, "https://example.test/a#very-long-id"}});
  CHECK(table ==
        "NAME      ID\n"
        "xxxxxxx…  https://example.test/a#very-long-id\n");
}

TEST_CASE("table: widths count code points, so accented names line up") {
  std::string table = render_table({{"NAME"}, {"C"}}, {{"Köln", "DE"}, {"Bonn", "DE"}});
  CHECK(table ==
        "NAME  C\n"
        "Köln  DE\n"
        "Bonn  DE\n");
  CHECK(display_width("Köln") == 4);
  CHECK(truncate_cell("Kölnerstraße", 4) == "Köl…");
  CHECK(truncate_cell("Köln", 4) == "Köln");
  CHECK(truncate_cell("anything", 0) == "anything");
}

TEST_CASE("table: line breaks and tabs inside a cell read as spaces, and short rows are padded") {
  std::string table = render_table({{"A"}, {"B"}}, {{"one\ntwo\tthree"}});
  CHECK(table == "A              B\none two three\n");
}

TEST_CASE("table: only the header when there are no rows") {
  CHECK(render_table({{"ID"}, {"NAME"}}, {}) == "ID  NAME\n");
}

TEST_CASE("fields: names aligned, empty values as -") {
  CHECK(render_fields({{"id", "hexacloud"}, {"last error", ""}}) ==
        "id:          hexacloud\n"
        "last error:  -\n");
}
