#include "services/delivery/billing/decimal.h"

#include <catch2/catch.hpp>
#include <random>

using mpli::StatusCode;
using mpli::delivery::billing::Decimal;

namespace {

Decimal d(const std::string& text) {
  auto parsed = Decimal::parse(text);
  INFO(text << ": " << parsed.status().to_string());
  REQUIRE(parsed.is_ok());
  return *parsed;
}

// Half-even division of small integers, the reference the property tests compare with.
long long reference_divide(long long numerator, long long denominator) {
  bool negative = (numerator < 0) != (denominator < 0);
  long long a = numerator < 0 ? -numerator : numerator;
  long long b = denominator < 0 ? -denominator : denominator;
  long long q = a / b;
  long long r = a % b;
  if (2 * r > b || (2 * r == b && q % 2 == 1)) ++q;
  return negative ? -q : q;
}

}  // namespace

TEST_CASE("decimal parses the xsd:decimal lexical forms exactly") {
  CHECK(d("49.90").to_string() == "49.9");
  CHECK(d("49.90").to_fixed(2) == "49.90");
  CHECK(d("0.0137").to_string() == "0.0137");
  CHECK(d("-1").to_string() == "-1");
  CHECK(d("+3.").to_string() == "3");
  CHECK(d(".5").to_string() == "0.5");
  CHECK(d("007.250").to_string() == "7.25");
  CHECK(d("-0.00").to_fixed(2) == "0.00");
  CHECK(d("0.000000000001").to_string() == "0.000000000001");
  CHECK(d("1.5000000000000000000").to_string() == "1.5");  // zeros past 12 places are exact
  CHECK(d("12345678901234567890123456").to_string() == "12345678901234567890123456");
  CHECK(d("49.90") == d("49.9"));
}

TEST_CASE("decimal refuses what is not an xsd:decimal, saying why") {
  for (const char* bad : {"1e3", "NaN", "INF", "-INF", "", "-", ".", "1.2.3", " 1", "1 ", "1,5",
                          "0x10", "abc", "--1", "+-1", "1.0000000000001"}) {
    auto parsed = Decimal::parse(bad);
    INFO("'" << bad << "'");
    CHECK_FALSE(parsed.is_ok());
    CHECK(parsed.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(parsed.status().message(), Catch::Contains("is not an xsd:decimal"));
  }
  CHECK_THAT(Decimal::parse("1e3").status().message(), Catch::Contains("no exponent"));
  CHECK_THAT(Decimal::parse("0.0000000000001").status().message(),
             Catch::Contains("more than 12 decimal places"));
  CHECK_THAT(Decimal::parse("1234567890123456789012345678").status().message(),
             Catch::Contains("too large"));
}

TEST_CASE("decimal adds and subtracts exactly") {
  CHECK(d("0.1").add(d("0.2"))->to_string() == "0.3");
  CHECK(d("49.90").subtract(d("50"))->to_fixed(2) == "-0.10");
  CHECK(d("-0.01").add(d("0.01"))->is_zero());
}

TEST_CASE("decimal multiplies by an integer exactly") {
  CHECK(d("49.90").multiply(3)->to_string() == "149.7");
  CHECK(d("0.000000000001").multiply(2628000)->to_string() == "0.000002628");
  CHECK(d("-2.5").multiply(-4)->to_string() == "10");
}

TEST_CASE("decimal multiplies decimals rounding half-even") {
  CHECK(d("1.5").multiply(d("1.5"), 12)->to_string() == "2.25");
  CHECK(d("1.5").multiply(d("1.5"), 1)->to_string() == "2.2");            // 2.25 -> even 2.2
  CHECK(d("1.5").multiply(d("2.5"), 1)->to_string() == "3.8");            // 3.75 -> even 3.8
  CHECK(d("-1.5").multiply(d("1.5"), 1)->to_string() == "-2.2");          // symmetric
  CHECK(d("0.000000000001").multiply(d("0.5"), 12)->to_string() == "0");  // 5e-13 -> even 0
  CHECK(d("0.000000000003").multiply(d("0.5"), 12)->to_string() == "0.000000000002");
  CHECK(d("123456789.123456789").multiply(d("1000000000"), 2)->to_string() == "123456789123456789");
}

TEST_CASE("decimal divides rounding half-even to the places asked") {
  CHECK(d("1").divide(3, 2)->to_fixed(2) == "0.33");
  CHECK(d("2").divide(3, 2)->to_fixed(2) == "0.67");
  CHECK(d("0.125").divide(1, 2)->to_fixed(2) == "0.12");  // tie -> even
  CHECK(d("0.135").divide(1, 2)->to_fixed(2) == "0.14");  // tie -> even
  CHECK(d("-0.125").divide(1, 2)->to_fixed(2) == "-0.12");
  CHECK(d("-0.005").divide(1, 2)->to_fixed(2) == "0.00");        // no "-0.00"
  CHECK(d("0.1250000001").divide(1, 2)->to_fixed(2) == "0.13");  // above the tie
  CHECK(d("10").divide(d("0.4"), 0)->to_string() == "25");
  CHECK(d("1").divide(d("-8"), 12)->to_string() == "-0.125");
  auto by_zero = d("1").divide(0, 2);
  CHECK_FALSE(by_zero.is_ok());
  CHECK(by_zero.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("decimal rounds and formats half-even") {
  CHECK(d("2.345").round(2)->to_string() == "2.34");
  CHECK(d("2.355").round(2)->to_string() == "2.36");
  CHECK(d("2.5").round(0)->to_string() == "2");
  CHECK(d("3.5").round(0)->to_string() == "4");
  CHECK(d("2.345").to_fixed(2) == "2.34");
  CHECK(d("7").to_fixed(2) == "7.00");
  CHECK(d("0.07").to_fixed(2) == "0.07");
  CHECK(d("-12.3").to_fixed(3) == "-12.300");
  CHECK(d("1.005").has_at_most_places(3));
  CHECK_FALSE(d("1.005").has_at_most_places(2));
  CHECK_FALSE(d("1").round(13).is_ok());
}

TEST_CASE("decimal overflow is an error, never a wrapped value") {
  Decimal big = d("100000000000000000000000000");  // 10^26: near the top of the range
  CHECK_FALSE(big.multiply(2).is_ok());
  CHECK_FALSE(big.add(big).is_ok());
  CHECK_FALSE(big.multiply(big, 2).is_ok());
  CHECK_FALSE(big.divide(d("0.001"), 2).is_ok());
  CHECK_FALSE(big.multiply(-1).value().subtract(big).is_ok());
  auto overflowed = big.multiply(100);
  CHECK(overflowed.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(overflowed.status().message(), Catch::Contains("overflow"));
  CHECK(big.multiply(1)->to_string() == "100000000000000000000000000");
}

TEST_CASE("decimal division and rounding agree with integer half-even arithmetic") {
  std::mt19937_64 random(12);  // fixed seed: a failure reproduces
  std::uniform_int_distribution<long long> numerators(-10'000'000'000LL, 10'000'000'000LL);
  std::uniform_int_distribution<long long> denominators(1, 5'000'000);
  for (int i = 0; i < 20000; ++i) {
    long long cents = numerators(random);  // a value with 2 places, as cents
    long long divisor = denominators(random) * (i % 2 == 0 ? 1 : -1);
    Decimal value = Decimal::from_integer(cents).divide(100, 2).value();
    auto quotient = value.divide(divisor, 2);
    REQUIRE(quotient.is_ok());
    Decimal expected =
        Decimal::from_integer(reference_divide(cents, divisor)).divide(100, 2).value();
    INFO(cents << " cents / " << divisor);
    REQUIRE(*quotient == expected);
  }
}

TEST_CASE("decimal text round-trips and multiplication agrees with division") {
  std::mt19937_64 random(34);
  std::uniform_int_distribution<long long> units(-1'000'000'000'000'000LL, 1'000'000'000'000'000LL);
  std::uniform_int_distribution<long long> factors(1, 1'000'000);
  for (int i = 0; i < 20000; ++i) {
    // value = units x 10^-6, so the product by any integer stays exact at 12 places.
    Decimal value = Decimal::from_integer(units(random)).divide(1'000'000, 6).value();
    REQUIRE(Decimal::parse(value.to_string()).value() == value);
    REQUIRE(Decimal::parse(value.to_fixed(12)).value() == value);
    long long factor = factors(random);
    Decimal product = value.multiply(factor).value();
    REQUIRE(value.multiply(Decimal::from_integer(factor), 12).value() == product);
    REQUIRE(product.divide(factor, 12).value() == value);
  }
}
