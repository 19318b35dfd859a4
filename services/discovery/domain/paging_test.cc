#include "services/discovery/domain/paging.h"

#include <catch2/catch.hpp>

using namespace mpli::discovery;

TEST_CASE("a page never uses more than half of what the bus carries") {
  CHECK(page_budget(256 * 1024, 1024 * 1024) == 256 * 1024);
  CHECK(page_budget(256 * 1024, 64 * 1024) == 32 * 1024);
  CHECK(page_budget(256 * 1024, 0) == 256 * 1024);  // not connected yet: the setting
}

TEST_CASE("a page takes the leading items that fit, and at least one") {
  CHECK(items_within({10, 10, 10}, 25) == 2);
  CHECK(items_within({10, 10, 10}, 30) == 3);
  CHECK(items_within({100, 10}, 25) == 1);  // too large alone: still its own page
  CHECK(items_within({}, 25) == 0);
}

TEST_CASE("an export page cuts between lines, never inside one") {
  std::string text = "aaaa\nbbbb\ncccc\n";
  CHECK(lines_within(text, 10) == 10);
  CHECK(lines_within(text, 12) == 10);
  CHECK(lines_within(text, 100) == 15);
  CHECK(lines_within("aaaaaaaaaa\nb\n", 4) == 11);  // a long first line still goes alone
  CHECK(lines_within("aaaa", 100) == 0);            // no whole line
  CHECK(lines_within(text, 0) == 0);
}

TEST_CASE("characters are counted as PostgreSQL counts them") {
  CHECK(utf8_characters("abc") == 3);
  CHECK(utf8_characters("Gr\xC3\xBC\xC3\x9F"
                        "e") == 5);  // Grüße
  CHECK(utf8_characters("\xF0\x9F\x98\x80") == 1);
}

TEST_CASE("an export position survives its text form and nothing else parses") {
  for (const ExportPosition& p :
       {ExportPosition{"nordwolke", 0, false}, ExportPosition{"nordwolke", 123456, false},
        ExportPosition{"nordwolke", 0, true}}) {
    CHECK(decode_export_position(encode_export_position(p)) == p);
  }
  CHECK_FALSE(decode_export_position("nordwolke").has_value());
  CHECK_FALSE(decode_export_position("\n12").has_value());
  CHECK_FALSE(decode_export_position("a\n-1").has_value());
  CHECK_FALSE(decode_export_position("a\n12x").has_value());
}

TEST_CASE("an export page fills up across providers and resumes inside a document") {
  std::vector<DocumentChunk> chunks = {{"a", 0, "a1\na2\n", 6}, {"b", 0, "b1\nb2\nb3\n", 9}};
  SECTION("everything fits and more providers may follow") {
    ExportPage page = assemble_export_page(chunks, 100, true);
    CHECK(page.document == "a1\na2\nb1\nb2\nb3\n");
    REQUIRE(page.next.has_value());
    CHECK(*page.next == ExportPosition{"b", 0, true});
  }
  SECTION("everything fits and nothing follows: the last page") {
    ExportPage page = assemble_export_page(chunks, 100, false);
    CHECK_FALSE(page.next.has_value());
  }
  SECTION("the budget ends inside the second document") {
    ExportPage page = assemble_export_page(chunks, 10, false);
    CHECK(page.document == "a1\na2\nb1\n");
    REQUIRE(page.next.has_value());
    CHECK(*page.next == ExportPosition{"b", 3, false});
  }
  SECTION("a chunk read short of its document's end continues where it stopped") {
    std::vector<DocumentChunk> partial = {{"a", 6, "a3\na4\na", 20}};
    ExportPage page = assemble_export_page(partial, 100, false);
    CHECK(page.document == "a3\na4\n");
    CHECK(*page.next == ExportPosition{"a", 12, false});
  }
  SECTION("a line longer than the chunk asks for a longer read") {
    std::vector<DocumentChunk> partial = {{"a", 0, "aaaaaa", 20}};
    ExportPage page = assemble_export_page(partial, 4, false);
    CHECK(page.needs_longer_chunk);
    CHECK(page.document.empty());
  }
}

TEST_CASE("only the first line of a page may be longer than the budget") {
  std::vector<DocumentChunk> chunks = {{"a", 0, "a1\n", 3}, {"b", 0, "bbbbbbbbbb\n", 11}};
  ExportPage page = assemble_export_page(chunks, 5, false);
  CHECK(page.document == "a1\n");
  CHECK(*page.next == ExportPosition{"b", 0, false});
  ExportPage next = assemble_export_page({chunks[1]}, 5, false);
  CHECK(next.document == "bbbbbbbbbb\n");
  CHECK_FALSE(next.next.has_value());
}

TEST_CASE("a page continued from an earlier read lets no line overrun the budget") {
  std::vector<DocumentChunk> chunks = {{"b", 0, "bbbbbbbbbb\n", 11}};
  ExportPage page = assemble_export_page(chunks, 12, false, 5);
  CHECK(page.document.empty());
  CHECK_FALSE(page.needs_longer_chunk);
  REQUIRE(page.next.has_value());
  CHECK(*page.next == ExportPosition{"b", 0, false});
  // With room for it, the line is taken.
  CHECK(assemble_export_page(chunks, 20, false, 5).document == "bbbbbbbbbb\n");
}
