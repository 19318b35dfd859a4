// The switching report's renderings: every fact the Data Act record needs is there, in both the
// HTML page and the text, and nothing a provider or a consumer named can break out of its place.
#include <catch2/catch.hpp>

#include "services/portability/report/report_format.h"
#include "services/portability/report/report_html.h"
#include "services/portability/report/report_text.h"

using namespace mpli::portability;
using namespace mpli::portability::report;

namespace {

v1::SwitchingReport sample() {
  v1::SwitchingReport r;
  r.set_migration_id("mig_1");
  r.set_tenant("acme");
  r.set_order_id("ord_1");
  r.set_outcome("completed");
  r.set_mode("offline");
  r.set_data_kind("postgresql");
  r.set_source_provider_id("hexacloud");
  r.set_source_offering_id("https://hexacloud.example/m#pg");
  r.set_source_offering_name("Hexacloud PostgreSQL S");
  r.set_target_provider_id("polderstack");
  r.set_target_offering_id("https://polderstack.example/m#pg");
  r.set_target_offering_name("Polder PG");
  r.set_format("https://w3id.org/mpli#FormatPgDumpCustom");
  r.set_started_at("2026-12-03T10:00:00.000Z");
  r.set_cut_over_at("2026-12-03T10:02:00.000Z");
  r.set_completed_at("2026-12-03T10:02:01.000Z");
  r.set_total_duration_ms(121000);
  r.set_write_downtime_ms(2345);
  r.set_bytes_transferred(1536);
  auto* step = r.add_steps();
  step->set_name("transferring");
  step->set_outcome("succeeded");
  step->set_started_at("2026-12-03T10:00:10.000Z");
  step->set_finished_at("2026-12-03T10:01:10.000Z");
  step->set_duration_ms(60000);
  step->set_bytes(1536);
  step->set_message("restored 3 tables");
  auto* table = r.add_verification();
  table->set_name("public.items");
  table->set_source_rows(42);
  table->set_target_rows(42);
  table->set_source_checksum("ab12");
  table->set_target_checksum("ab12");
  table->set_equal(true);
  r.set_verified(true);
  r.set_checksum_method("row-hash");
  (*r.mutable_terms())["price"] = "45.00";
  (*r.mutable_terms())["currency"] = "EUR";
  r.set_generated_at("2026-12-03T11:00:00.000Z");
  return r;
}

}  // namespace

TEST_CASE("durations and byte counts read as a person says them") {
  CHECK(format_duration_ms(850) == "850 ms");
  CHECK(format_duration_ms(2345) == "2.345 s");
  CHECK(format_duration_ms(121000) == "2m 01s");
  CHECK(format_duration_ms(3723000) == "1h 02m 03s");
  CHECK(format_duration_ms(-1) == "unknown");
  CHECK(format_bytes(0) == "0 bytes");
  CHECK(format_bytes(1) == "1 byte");
  CHECK(format_bytes(1536) == "1.5 KiB (1536 bytes)");
  CHECK(format_bytes(3LL * 1024 * 1024 * 1024) == "3.0 GiB (3221225472 bytes)");
  CHECK(format_bytes(-1) == "unknown");
}

TEST_CASE("html_escape escapes every character that could end a text or an attribute") {
  CHECK(html_escape("<script>alert('x') & \"y\"</script>") ==
        "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
  CHECK(html_escape("plain") == "plain");
}

TEST_CASE("the HTML report holds parties, terms, steps, downtime, verification and outcome") {
  std::string page = report_html(sample());
  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  for (const char* fact :
       {"mig_1", "acme", "ord_1", "hexacloud", "polderstack", "Hexacloud PostgreSQL S", "Polder PG",
        "Completed: order ord_1", "45.00", "EUR", "transferring"}) {
    INFO(fact);
    CHECK(page.find(fact) != std::string::npos);
  }
  CHECK(page.find("1m 00s") != std::string::npos);   // the step's duration
  CHECK(page.find("2.345 s") != std::string::npos);  // write downtime
  CHECK(page.find("1.5 KiB (1536 bytes)") != std::string::npos);
  CHECK(page.find("public.items") != std::string::npos);
  CHECK(page.find("Every table (or image) is equal") != std::string::npos);
  CHECK(page.find("computed by each side&#39;s PostgreSQL server (row-hash") != std::string::npos);
  // Self-contained: no script, no external resource.
  CHECK(page.find("<script") == std::string::npos);
  CHECK(page.find("src=") == std::string::npos);
  CHECK(page.find("href=") == std::string::npos);
}

TEST_CASE("the HTML report escapes every value, also a hostile offering name") {
  v1::SwitchingReport r = sample();
  r.set_target_offering_name("<script>alert(1)</script>");
  r.set_outcome("<b>completed</b>");
  (*r.mutable_terms())["<i>term</i>"] = "\"quoted\" & 'single'";
  r.mutable_steps(0)->set_message("</td></tr><img src=x onerror=alert(2)>");
  r.add_reasons("<iframe>");
  r.mutable_verification(0)->set_name("<svg onload=alert(3)>");
  std::string page = report_html(r);
  CHECK(page.find("<script") == std::string::npos);
  CHECK(page.find("<img") == std::string::npos);
  CHECK(page.find("<iframe") == std::string::npos);
  CHECK(page.find("<svg") == std::string::npos);
  CHECK(page.find("<b>") == std::string::npos);
  CHECK(page.find("<i>") == std::string::npos);
  CHECK(page.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(page.find("&quot;quoted&quot; &amp; &#39;single&#39;") != std::string::npos);
  // An unknown outcome never reaches the class attribute.
  CHECK(page.find("class=\"outcome other\"") != std::string::npos);
}

TEST_CASE("the HTML report says when checks differ and why a migration rolled back") {
  v1::SwitchingReport r = sample();
  r.set_outcome("rolled_back");
  r.set_verified(false);
  r.mutable_verification(0)->set_equal(false);
  r.mutable_verification(0)->set_target_rows(41);
  r.add_reasons("verification: public.items differs (42 rows vs 41)");
  std::string page = report_html(r);
  CHECK(page.find("Rolled back: order ord_1 still runs") != std::string::npos);
  CHECK(page.find("Some checks differ") != std::string::npos);
  CHECK(page.find("public.items differs (42 rows vs 41)") != std::string::npos);
  CHECK(page.find("class=\"outcome rolled_back\"") != std::string::npos);
}

TEST_CASE("the text report has the same facts, one value per line, no control characters") {
  v1::SwitchingReport r = sample();
  r.set_target_offering_name("Polder\x1b[2J PG\nforged line");
  std::string text = report_text(r);
  CHECK(text.rfind("SWITCHING REPORT mig_1\n", 0) == 0);
  CHECK(text.find("Completed: order ord_1") != std::string::npos);
  CHECK(text.find("Write downtime:") != std::string::npos);
  CHECK(text.find("2.345 s") != std::string::npos);
  CHECK(text.find("transferring") != std::string::npos);
  CHECK(text.find("public.items") != std::string::npos);
  CHECK(text.find("every check equal") != std::string::npos);
  CHECK(text.find("checksums: per table, the row count and the sum of each row's 64-bit hash") !=
        std::string::npos);
  r.set_checksum_method("copy-sha256");
  CHECK(report_text(r).find("SHA-256 of its COPY text, computed by each side's worker") !=
        std::string::npos);
  r.set_checksum_method("");
  CHECK(report_text(r).find("checksums: not recorded") != std::string::npos);
  CHECK(text.find("currency") != std::string::npos);
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find("\nforged line") == std::string::npos);
  CHECK(text.find("Polder?[2J PG?forged line") != std::string::npos);
}

TEST_CASE("a report with nothing recorded still renders, saying so") {
  v1::SwitchingReport r;
  r.set_migration_id("mig_2");
  r.set_outcome("failed");
  r.set_write_downtime_ms(-1);
  std::string page = report_html(r);
  CHECK(page.find("No steps recorded.") != std::string::npos);
  CHECK(page.find("No verification recorded.") != std::string::npos);
  CHECK(page.find("No terms recorded.") != std::string::npos);
  CHECK(page.find("Failed:") != std::string::npos);
  std::string text = report_text(r);
  CHECK(text.find("write downtime: unknown") != std::string::npos);
}

TEST_CASE("an empty database, compared and found equal, reads as verified") {
  v1::SwitchingReport r;
  r.set_migration_id("mig_3");
  r.set_outcome("completed");
  r.set_verified(true);  // no rows: neither side holds a table
  CHECK(report_html(r).find("No table on either side (an empty database): equal.") !=
        std::string::npos);
  CHECK(report_text(r).find("no table on either side (an empty database): equal") !=
        std::string::npos);
  r.set_verified(false);
  CHECK(report_html(r).find("No verification recorded.") != std::string::npos);
}
