#include "services/delivery/billing/decimal.h"

#include <algorithm>
#include <limits>

namespace mpli::delivery::billing {

namespace {

__extension__ using UInt128 = unsigned __int128;

constexpr Int128 kMaxUnits = std::numeric_limits<Int128>::max();

constexpr UInt128 pow10(int n) {
  UInt128 value = 1;
  for (int i = 0; i < n; ++i) value *= 10;
  return value;
}

constexpr UInt128 kOne = pow10(Decimal::kScale);

Status overflow(const std::string& what) {
  return invalid_argument("decimal overflow: " + what + " does not fit in 128 bits of 10^-12");
}

Status bad_places(int places) {
  return invalid_argument("decimal: " + std::to_string(places) + " places is outside 0..12");
}

UInt128 magnitude(Int128 units) {
  // Two's complement: the negation of the smallest value is computed in unsigned arithmetic.
  return units < 0 ? UInt128(0) - static_cast<UInt128>(units) : static_cast<UInt128>(units);
}

// A magnitude and a sign back to units; the smallest Int128 is left out so every value has a
// negation (one unit of range is not worth a special case in every operation).
Result<Int128> with_sign(UInt128 value, bool negative, const std::string& what) {
  if (value > static_cast<UInt128>(kMaxUnits)) return overflow(what);
  auto units = static_cast<Int128>(value);
  return negative ? -units : units;
}

// q rounded half-even given how the discarded part compares with one half (-1, 0, 1).
Result<UInt128> round_half_even(UInt128 q, int versus_half, const std::string& what) {
  bool up = versus_half > 0 || (versus_half == 0 && q % 2 == 1);
  if (!up) return q;
  if (q == std::numeric_limits<UInt128>::max()) return overflow(what);
  return q + 1;
}

int compare_with_half(UInt128 remainder, UInt128 divisor) {
  // remainder < divisor; "remainder vs divisor - remainder" never overflows, unlike 2 * r.
  UInt128 rest = divisor - remainder;
  return remainder > rest ? 1 : (remainder == rest ? 0 : -1);
}

std::string digits_of(UInt128 value) {
  std::string digits;
  do {
    digits.push_back(static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  } while (value != 0);
  std::reverse(digits.begin(), digits.end());
  return digits;
}

// `places` (0..12) digits after the point of `units`, truncating any further ones.
std::string format_units(Int128 units, int places) {
  std::string digits = digits_of(magnitude(units));
  constexpr auto kScaleSize = static_cast<size_t>(Decimal::kScale);
  if (digits.size() <= kScaleSize) digits.insert(0, kScaleSize + 1 - digits.size(), '0');
  std::string whole = digits.substr(0, digits.size() - kScaleSize);
  std::string fraction = digits.substr(digits.size() - kScaleSize, static_cast<size_t>(places));
  bool zero = whole.find_first_not_of('0') == std::string::npos &&
              fraction.find_first_not_of('0') == std::string::npos;
  std::string text = units < 0 && !zero ? "-" : "";
  text += whole;
  if (places > 0) text += "." + fraction;
  return text;
}

std::string quoted(std::string_view text) {
  constexpr size_t kShown = 40;
  std::string shown(text.substr(0, kShown));
  if (text.size() > kShown) shown += "...";
  return "'" + shown + "'";
}

}  // namespace

Result<Decimal> Decimal::parse(std::string_view text) {
  auto refuse = [&](const std::string& why) -> Status {
    return invalid_argument(quoted(text) + " is not an xsd:decimal: " + why);
  };
  size_t at = 0;
  bool negative = false;
  if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    negative = text[at] == '-';
    ++at;
  }
  UInt128 whole = 0;
  UInt128 fraction = 0;
  int fraction_digits = 0;
  bool any_digit = false;
  bool in_fraction = false;
  for (; at < text.size(); ++at) {
    char c = text[at];
    if (c == '.' && !in_fraction) {
      in_fraction = true;
      continue;
    }
    if (c < '0' || c > '9') {
      return refuse("unexpected " + std::string(1, c) +
                    " (digits, one '.', and a leading sign only; no exponent)");
    }
    any_digit = true;
    int digit = c - '0';
    if (!in_fraction) {
      if (whole > (static_cast<UInt128>(kMaxUnits) / kOne - static_cast<UInt128>(digit)) / 10) {
        return refuse("too large");
      }
      whole = whole * 10 + static_cast<UInt128>(digit);
    } else if (fraction_digits < kScale) {
      fraction = fraction * 10 + static_cast<UInt128>(digit);
      ++fraction_digits;
    } else if (digit != 0) {
      return refuse("more than 12 decimal places");
    }
  }
  if (!any_digit) return refuse("no digits");
  UInt128 value = whole * kOne + fraction * pow10(kScale - fraction_digits);
  MPLI_ASSIGN_OR_RETURN(Int128 units, with_sign(value, negative, quoted(text)));
  return Decimal(units);
}

Decimal Decimal::from_integer(std::int64_t value) {
  return Decimal(static_cast<Int128>(value) * static_cast<Int128>(kOne));
}

Result<Decimal> Decimal::add(const Decimal& other) const {
  Int128 sum = 0;
  if (__builtin_add_overflow(units_, other.units_, &sum) ||
      sum == std::numeric_limits<Int128>::min()) {
    return overflow(to_string() + " + " + other.to_string());
  }
  return Decimal(sum);
}

Result<Decimal> Decimal::subtract(const Decimal& other) const {
  Int128 difference = 0;
  if (__builtin_sub_overflow(units_, other.units_, &difference) ||
      difference == std::numeric_limits<Int128>::min()) {
    return overflow(to_string() + " - " + other.to_string());
  }
  return Decimal(difference);
}

Result<Decimal> Decimal::multiply(std::int64_t factor) const {
  Int128 product = 0;
  if (__builtin_mul_overflow(units_, static_cast<Int128>(factor), &product) ||
      product == std::numeric_limits<Int128>::min()) {
    return overflow(to_string() + " x " + std::to_string(factor));
  }
  return Decimal(product);
}

Result<Decimal> Decimal::multiply(const Decimal& other, int places) const {
  if (places < 0 || places > kScale) return bad_places(places);
  const std::string what = to_string() + " x " + other.to_string();
  // a*b / 10^12 without a 256-bit product: split both into whole units and fractions, so
  // every partial product is bounded by the result or by 10^24.
  UInt128 a = magnitude(units_);
  UInt128 b = magnitude(other.units_);
  UInt128 a_whole = a / kOne;
  UInt128 a_fraction = a % kOne;
  UInt128 b_whole = b / kOne;
  UInt128 b_fraction = b % kOne;
  UInt128 low = a_fraction * b_fraction;  // < 10^24: the places below 10^-12
  UInt128 first = 0;
  UInt128 second = 0;
  UInt128 units = 0;
  if (__builtin_mul_overflow(a_whole, b, &first) ||
      __builtin_mul_overflow(a_fraction, b_whole, &second) ||
      __builtin_add_overflow(first, second, &units) ||
      __builtin_add_overflow(units, low / kOne, &units)) {
    return overflow(what);
  }
  // Discarded: (units % step) units plus low % 10^12 of 10^-24; compared with step / 2 units.
  UInt128 step = pow10(kScale - places);
  UInt128 discarded = (units % step) * kOne + low % kOne;  // < 10^24 + 10^12
  MPLI_ASSIGN_OR_RETURN(
      UInt128 rounded,
      round_half_even(units / step, compare_with_half(discarded, step * kOne), what));
  UInt128 result = 0;
  if (__builtin_mul_overflow(rounded, step, &result)) return overflow(what);
  MPLI_ASSIGN_OR_RETURN(Int128 signed_units,
                        with_sign(result, (units_ < 0) != (other.units_ < 0), what));
  return Decimal(signed_units);
}

Result<Decimal> Decimal::divide(const Decimal& divisor, int places) const {
  if (places < 0 || places > kScale) return bad_places(places);
  if (divisor.units_ == 0) return invalid_argument("decimal: " + to_string() + " / 0");
  const std::string what = to_string() + " / " + divisor.to_string();
  // Long division, one decimal place at a time, so the dividend is never scaled up front.
  UInt128 a = magnitude(units_);
  UInt128 b = magnitude(divisor.units_);
  UInt128 quotient = a / b;
  UInt128 remainder = a % b;
  for (int i = 0; i < places; ++i) {
    UInt128 shifted = 0;
    if (__builtin_mul_overflow(remainder, UInt128(10), &shifted) ||
        __builtin_mul_overflow(quotient, UInt128(10), &quotient) ||
        __builtin_add_overflow(quotient, shifted / b, &quotient)) {
      return overflow(what);
    }
    remainder = shifted % b;
  }
  MPLI_ASSIGN_OR_RETURN(UInt128 rounded,
                        round_half_even(quotient, compare_with_half(remainder, b), what));
  UInt128 result = 0;
  if (__builtin_mul_overflow(rounded, pow10(kScale - places), &result)) return overflow(what);
  MPLI_ASSIGN_OR_RETURN(Int128 signed_units,
                        with_sign(result, (units_ < 0) != (divisor.units_ < 0), what));
  return Decimal(signed_units);
}

Result<Decimal> Decimal::divide(std::int64_t divisor, int places) const {
  return divide(from_integer(divisor), places);
}

Result<Decimal> Decimal::round(int places) const {
  if (places < 0 || places > kScale) return bad_places(places);
  UInt128 a = magnitude(units_);
  UInt128 step = pow10(kScale - places);
  MPLI_ASSIGN_OR_RETURN(
      UInt128 rounded,
      round_half_even(a / step, compare_with_half(a % step, step), "rounding " + to_string()));
  UInt128 result = 0;
  if (__builtin_mul_overflow(rounded, step, &result)) return overflow("rounding " + to_string());
  MPLI_ASSIGN_OR_RETURN(Int128 units, with_sign(result, units_ < 0, "rounding " + to_string()));
  return Decimal(units);
}

bool Decimal::has_at_most_places(int places) const {
  if (places >= kScale) return true;
  if (places < 0) return units_ == 0;
  return magnitude(units_) % pow10(kScale - places) == 0;
}

std::string Decimal::to_fixed(int places) const {
  places = std::clamp(places, 0, kScale);
  // Only a value within half a cent of the 128-bit limit cannot round; it is then truncated.
  auto rounded = round(places);
  return format_units(rounded.is_ok() ? rounded->units_ : units_, places);
}

std::string Decimal::to_string() const {
  int places = 0;
  while (!has_at_most_places(places)) ++places;
  return format_units(units_, places);  // exact at `places`: nothing is cut
}

}  // namespace mpli::delivery::billing
