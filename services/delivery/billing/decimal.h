// Decimal: exact money arithmetic for the bill. A value is a signed 128-bit count of 10^-12
// units, so prices as written (xsd:decimal, up to 12 places) are held exactly; every operation
// that could overflow says so, and rounding happens only where a caller asks for it (half-even).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "libs/core/status.h"

namespace mpli::delivery::billing {

// __extension__: -Wpedantic accepts the GCC/Clang 128-bit integer through it.
__extension__ using Int128 = __int128;

class Decimal {
 public:
  static constexpr int kScale = 12;  // places held exactly

  Decimal() = default;  // zero

  // The xsd:decimal lexical form: optional sign, digits, optional '.' and digits ("49.90",
  // "-1", ".5", "+3."). Exponents ("1e3"), "NaN", "INF", spaces and other text are refused, as
  // are non-zero digits past the 12th place (rounding them away would change the price) and
  // values too large to hold. kInvalidArgument with the reason in the message.
  static Result<Decimal> parse(std::string_view text);
  static Decimal from_integer(std::int64_t value);  // exact; cannot overflow

  Result<Decimal> add(const Decimal& other) const;
  Result<Decimal> subtract(const Decimal& other) const;
  Result<Decimal> multiply(std::int64_t factor) const;  // exact
  // The product rounded half-even to `places` (0..12): the exact product can have 24 places.
  Result<Decimal> multiply(const Decimal& other, int places) const;
  // The quotient rounded half-even to `places` (0..12); dividing by zero is kInvalidArgument.
  Result<Decimal> divide(const Decimal& divisor, int places) const;
  Result<Decimal> divide(std::int64_t divisor, int places) const;
  // Half-even to `places` (0..12).
  Result<Decimal> round(int places) const;

  // Exactly `places` digits after the point (0..12), rounding half-even when the value has
  // more; "-0.00" never appears. The bill formats only values already at 2 places.
  std::string to_fixed(int places) const;
  // Shortest exact form: no trailing zeros after the point, no point for integers ("0.0137").
  std::string to_string() const;

  bool is_zero() const { return units_ == 0; }
  bool is_negative() const { return units_ < 0; }
  // Whether the value needs no more than `places` digits after the point.
  bool has_at_most_places(int places) const;

  friend bool operator==(const Decimal& a, const Decimal& b) { return a.units_ == b.units_; }
  friend bool operator!=(const Decimal& a, const Decimal& b) { return a.units_ != b.units_; }
  friend bool operator<(const Decimal& a, const Decimal& b) { return a.units_ < b.units_; }

 private:
  explicit Decimal(Int128 units) : units_(units) {}
  Int128 units_ = 0;
};

}  // namespace mpli::delivery::billing
