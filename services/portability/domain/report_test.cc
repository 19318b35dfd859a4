#include "services/portability/domain/report.h"

#include <catch2/catch.hpp>

using namespace mpli;
using namespace mpli::portability;

TEST_CASE("RFC 3339 times parse with and without milliseconds and offsets") {
  auto z = parse_rfc3339("2026-12-03T06:00:00.250Z");
  auto plus = parse_rfc3339("2026-12-03T07:00:00.250+01:00");
  auto whole = parse_rfc3339("2026-12-03T06:00:01Z");
  REQUIRE(z);
  REQUIRE(plus);
  REQUIRE(whole);
  CHECK(*z == *plus);
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(*whole - *z).count() == 750);
  CHECK_FALSE(parse_rfc3339("yesterday"));
  CHECK_FALSE(parse_rfc3339("2026-12-03T06:00:00"));
}

TEST_CASE("RFC 3339 times with a sign a space or a short field in a number are refused") {
  CHECK(parse_rfc3339("2026-12-03T06:00:00+01:30"));
  CHECK_FALSE(parse_rfc3339("2026-12-03T-1:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2026-12-03T 6:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2026-12-+3T06:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2026-12-03T06:00:00+1:30"));
  CHECK_FALSE(parse_rfc3339("2026-12-03T06:00:00+01-30"));
  CHECK_FALSE(parse_rfc3339("2026-12-03T06:00:00+01:3"));
  CHECK_FALSE(parse_rfc3339("2026-12-03 06:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2026-13-03T06:00:00Z"));
}

TEST_CASE("write downtime runs from frozen_at to the end of move_order") {
  auto moved = *parse_rfc3339("2026-12-03T06:00:02.500Z");
  CHECK(write_downtime_ms("2026-12-03T06:00:00.000Z", moved) == 2500);
  CHECK(write_downtime_ms("", moved) == -1);
  CHECK(write_downtime_ms("garbage", moved) == -1);
  CHECK(write_downtime_ms("2026-12-03T06:00:03.000Z", moved) == 0);  // clocks apart
  CHECK(duration_ms("2026-12-03T06:00:00.000Z", "2026-12-03T06:01:00.000Z") == 60000);
  CHECK(duration_ms("", "2026-12-03T06:01:00.000Z") == 0);
}

TEST_CASE("the switching report carries steps, downtime, verification and terms") {
  v1::Migration m;
  m.set_id("mig_1");
  m.set_tenant("acme");
  m.set_order_id("ord_1");
  m.set_state("completed");
  m.set_mode("online");
  m.set_data_kind("postgresql");
  m.set_source_provider_id("a");
  m.set_target_provider_id("b");
  m.set_created_at("2026-12-03T06:00:00.000Z");
  m.set_completed_at("2026-12-03T06:10:00.000Z");
  m.set_cut_over_at("2026-12-03T06:09:00.000Z");
  m.set_write_downtime_ms(1200);
  m.set_bytes_transferred(4096);
  auto* step = m.add_steps();
  step->set_name("exporting");
  step->set_outcome("succeeded");
  auto* table = m.add_verification();
  table->set_name("public.t");
  table->set_equal(true);
  ReportInput input;
  input.source_offering_name = "Old PG";
  input.target_offering_name = "New PG";
  input.terms = {{"price_amount", "10.00"}, {"price_currency", "EUR"}};
  input.generated_at = "2026-12-03T07:00:00.000Z";
  v1::SwitchingReport report = build_report(m, input);
  CHECK(report.outcome() == "completed");
  CHECK(report.source_offering_name() == "Old PG");
  CHECK(report.target_offering_name() == "New PG");
  CHECK(report.total_duration_ms() == 600000);
  CHECK(report.write_downtime_ms() == 1200);
  CHECK(report.bytes_transferred() == 4096);
  CHECK(report.steps_size() == 1);
  CHECK(report.verified());
  CHECK(report.terms().at("price_currency") == "EUR");

  table->set_equal(false);
  CHECK_FALSE(build_report(m, input).verified());
  m.clear_verification();
  CHECK_FALSE(build_report(m, input).verified());  // nothing verified is not verified
  input.verified_empty = true;                     // two empty databases, compared and found equal
  CHECK(build_report(m, input).verified());
}
