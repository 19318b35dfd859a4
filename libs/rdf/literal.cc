#include "libs/rdf/literal.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

namespace mpli::rdf {
namespace {

enum class Space { kNone, kNumber, kDateTime, kDate, kTime, kString, kBoolean };

struct Value {
  Space space = Space::kNone;
  long double number = 0;  // numbers; seconds for dates and times
  bool has_tz = false;
  std::string_view text;  // strings
};

enum class Xsd {
  kUnknown,
  kString,
  kBoolean,
  kDecimal,
  kInteger,
  kFloat,
  kDouble,
  kDateTime,
  kDate,
  kTime,
  kLong,
  kInt,
  kShort,
  kByte,
  kNonNegativeInteger,
  kPositiveInteger,
  kNonPositiveInteger,
  kNegativeInteger,
  kUnsignedLong,
  kUnsignedInt,
  kUnsignedShort,
  kUnsignedByte,
  kLangString,
  kDateTimeStamp,
  kGYear,
  kAnyUri,
  kNormalizedString,
  kToken,
  kLanguage
};

Xsd classify(std::string_view dt) {
  if (dt == iri::kRdfLangString) return Xsd::kLangString;
  if (dt.substr(0, iri::kXsd.size()) != iri::kXsd) return Xsd::kUnknown;
  std::string_view n = dt.substr(iri::kXsd.size());
  struct Entry {
    std::string_view name;
    Xsd xsd;
  };
  static const Entry kTable[] = {{"string", Xsd::kString},
                                 {"boolean", Xsd::kBoolean},
                                 {"decimal", Xsd::kDecimal},
                                 {"integer", Xsd::kInteger},
                                 {"float", Xsd::kFloat},
                                 {"double", Xsd::kDouble},
                                 {"dateTime", Xsd::kDateTime},
                                 {"date", Xsd::kDate},
                                 {"time", Xsd::kTime},
                                 {"long", Xsd::kLong},
                                 {"int", Xsd::kInt},
                                 {"short", Xsd::kShort},
                                 {"byte", Xsd::kByte},
                                 {"nonNegativeInteger", Xsd::kNonNegativeInteger},
                                 {"positiveInteger", Xsd::kPositiveInteger},
                                 {"nonPositiveInteger", Xsd::kNonPositiveInteger},
                                 {"negativeInteger", Xsd::kNegativeInteger},
                                 {"unsignedLong", Xsd::kUnsignedLong},
                                 {"unsignedInt", Xsd::kUnsignedInt},
                                 {"unsignedShort", Xsd::kUnsignedShort},
                                 {"unsignedByte", Xsd::kUnsignedByte},
                                 {"dateTimeStamp", Xsd::kDateTimeStamp},
                                 {"gYear", Xsd::kGYear},
                                 {"anyURI", Xsd::kAnyUri},
                                 {"normalizedString", Xsd::kNormalizedString},
                                 {"token", Xsd::kToken},
                                 {"language", Xsd::kLanguage}};
  for (const Entry& e : kTable) {
    if (e.name == n) return e.xsd;
  }
  return Xsd::kUnknown;
}

bool is_integer_type(Xsd x) {
  switch (x) {
    case Xsd::kInteger:
    case Xsd::kLong:
    case Xsd::kInt:
    case Xsd::kShort:
    case Xsd::kByte:
    case Xsd::kNonNegativeInteger:
    case Xsd::kPositiveInteger:
    case Xsd::kNonPositiveInteger:
    case Xsd::kNegativeInteger:
    case Xsd::kUnsignedLong:
    case Xsd::kUnsignedInt:
    case Xsd::kUnsignedShort:
    case Xsd::kUnsignedByte:
      return true;
    default:
      return false;
  }
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool integer_lexical(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  return all_digits(s);
}

bool decimal_lexical(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  size_t dot = s.find('.');
  if (dot == std::string_view::npos) return all_digits(s);
  std::string_view a = s.substr(0, dot);
  std::string_view b = s.substr(dot + 1);
  if (a.empty() && b.empty()) return false;
  return (a.empty() || all_digits(a)) && (b.empty() || all_digits(b));
}

bool double_lexical(std::string_view s) {
  if (s == "INF" || s == "-INF" || s == "+INF" || s == "NaN") return true;
  size_t e = s.find_first_of("eE");
  if (e == std::string_view::npos) return decimal_lexical(s);
  return decimal_lexical(s.substr(0, e)) && integer_lexical(s.substr(e + 1));
}

long double parse_number(std::string_view s) {
  // Fast path for plain integers of up to 18 digits: exact, and no strtold.
  {
    std::string_view d = s;
    bool neg = false;
    if (!d.empty() && (d[0] == '+' || d[0] == '-')) {
      neg = d[0] == '-';
      d.remove_prefix(1);
    }
    if (!d.empty() && d.size() <= 18 && all_digits(d)) {
      int64_t v = 0;
      for (char c : d) v = v * 10 + (c - '0');
      return static_cast<long double>(neg ? -v : v);
    }
  }
  if (s == "INF" || s == "+INF") return HUGE_VALL;
  if (s == "-INF") return -HUGE_VALL;
  if (s == "NaN") return NAN;
  // strtold needs a terminated string; short lexical forms stay on the stack.
  char buf[64];
  if (s.size() < sizeof buf) {
    if (!s.empty()) std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = '\0';
    return std::strtold(buf, nullptr);
  }
  std::string copy(s);
  return std::strtold(copy.c_str(), nullptr);
}

bool in_integer_range(Xsd x, std::string_view s) {
  // Sign-only subtypes need no parsing; bounded ones use strtoll/strtoull, which report ERANGE.
  bool negative = !s.empty() && s[0] == '-';
  bool zero = s.find_first_not_of("+-0") == std::string_view::npos;
  switch (x) {
    case Xsd::kNonNegativeInteger:
      return !negative || zero;
    case Xsd::kPositiveInteger:
      return !negative && !zero;
    case Xsd::kNonPositiveInteger:
      return negative || zero;
    case Xsd::kNegativeInteger:
      return negative && !zero;
    case Xsd::kInteger:
      return true;
    default:
      break;
  }
  char buf[64];
  if (s.size() >= sizeof buf) return false;  // far beyond any bounded integer type
  if (!s.empty()) std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  const char* copy = buf;
  auto signed_in = [&](long long lo, long long hi) {
    errno = 0;
    long long v = std::strtoll(copy, nullptr, 10);
    return errno != ERANGE && v >= lo && v <= hi;
  };
  auto unsigned_in = [&](unsigned long long hi) {
    if (negative && !zero) return false;
    errno = 0;
    unsigned long long v = std::strtoull(copy, nullptr, 10);
    return errno != ERANGE && v <= hi;
  };
  switch (x) {
    case Xsd::kLong:
      return signed_in(INT64_MIN, INT64_MAX);
    case Xsd::kInt:
      return signed_in(INT32_MIN, INT32_MAX);
    case Xsd::kShort:
      return signed_in(INT16_MIN, INT16_MAX);
    case Xsd::kByte:
      return signed_in(INT8_MIN, INT8_MAX);
    case Xsd::kUnsignedLong:
      return unsigned_in(UINT64_MAX);
    case Xsd::kUnsignedInt:
      return unsigned_in(UINT32_MAX);
    case Xsd::kUnsignedShort:
      return unsigned_in(UINT16_MAX);
    case Xsd::kUnsignedByte:
      return unsigned_in(UINT8_MAX);
    default:  // the sign-only subtypes were answered above
      return true;
  }
}

int to_int(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

bool leap(long y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(long y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 (proleptic Gregorian).
long double days_from_civil(long y, int m, int d) {
  y -= m <= 2;
  long era = (y >= 0 ? y : y - 399) / 400;
  long yoe = y - era * 400;
  long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<long double>(era) * 146097 + static_cast<long double>(doe) - 719468;
}

// Parses an optional time zone at the end of `s`; returns false when malformed.
bool parse_tz(std::string_view& s, bool* has_tz, long* offset_seconds) {
  *has_tz = false;
  *offset_seconds = 0;
  if (!s.empty() && s.back() == 'Z') {
    *has_tz = true;
    s.remove_suffix(1);
    return true;
  }
  if (s.size() >= 6 && (s[s.size() - 6] == '+' || s[s.size() - 6] == '-') &&
      s[s.size() - 3] == ':') {
    std::string_view tz = s.substr(s.size() - 6);
    if (!all_digits(tz.substr(1, 2)) || !all_digits(tz.substr(4, 2))) return false;
    int h = to_int(tz.substr(1, 2));
    int m = to_int(tz.substr(4, 2));
    if (h > 14 || m > 59) return false;
    *offset_seconds = (h * 3600 + m * 60) * (tz[0] == '-' ? -1 : 1);
    *has_tz = true;
    s.remove_suffix(6);
  }
  return true;
}

bool parse_date_part(std::string_view s, long* y, int* m, int* d) {
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  size_t dash = s.find('-');
  if (dash == std::string_view::npos || dash < 4) return false;
  std::string_view ys = s.substr(0, dash);
  std::string_view rest = s.substr(dash + 1);
  if (!all_digits(ys) || rest.size() != 5 || rest[2] != '-' || !all_digits(rest.substr(0, 2)) ||
      !all_digits(rest.substr(3, 2))) {
    return false;
  }
  *y = std::strtol(std::string(ys).c_str(), nullptr, 10) * (neg ? -1 : 1);
  *m = to_int(rest.substr(0, 2));
  *d = to_int(rest.substr(3, 2));
  return *m >= 1 && *m <= 12 && *d >= 1 && *d <= days_in_month(*y, *m);
}

bool parse_time_part(std::string_view s, long double* seconds) {
  if (s.size() < 8 || s[2] != ':' || s[5] != ':') return false;
  if (!all_digits(s.substr(0, 2)) || !all_digits(s.substr(3, 2)) || !all_digits(s.substr(6, 2))) {
    return false;
  }
  int h = to_int(s.substr(0, 2));
  int mi = to_int(s.substr(3, 2));
  long double sec = to_int(s.substr(6, 2));
  std::string_view frac = s.substr(8);
  if (!frac.empty()) {
    if (frac[0] != '.' || !all_digits(frac.substr(1))) return false;
    sec += std::strtold(("0" + std::string(frac)).c_str(), nullptr);
  }
  if (h == 24) {
    if (mi != 0 || sec != 0) return false;
  } else if (h > 23 || mi > 59 || sec >= 60) {
    return false;
  }
  *seconds = h * 3600.0L + mi * 60.0L + sec;
  return true;
}

std::optional<Value> parse_value(const TermTable& terms, TermId id) {
  if (!terms.is_literal(id)) return std::nullopt;
  std::string_view lex = terms.value(id);
  Xsd x = classify(terms.value(terms.datatype(id)));
  Value v;
  switch (x) {
    case Xsd::kString:
      v.space = Space::kString;
      v.text = lex;
      return v;
    case Xsd::kBoolean:
      if (lex == "true" || lex == "1")
        v.number = 1;
      else if (lex == "false" || lex == "0")
        v.number = 0;
      else
        return std::nullopt;
      v.space = Space::kBoolean;
      return v;
    case Xsd::kDecimal:
      if (!decimal_lexical(lex)) return std::nullopt;
      v.space = Space::kNumber;
      v.number = parse_number(lex);
      return v;
    case Xsd::kFloat:
    case Xsd::kDouble:
      if (!double_lexical(lex)) return std::nullopt;
      v.space = Space::kNumber;
      v.number = parse_number(lex);
      return v;
    case Xsd::kDateTime:
    case Xsd::kDateTimeStamp: {
      std::string_view s = lex;
      long offset = 0;
      if (!parse_tz(s, &v.has_tz, &offset)) return std::nullopt;
      if (x == Xsd::kDateTimeStamp && !v.has_tz) return std::nullopt;
      size_t t = s.find('T');
      if (t == std::string_view::npos) return std::nullopt;
      long y = 0;
      int m = 0;
      int d = 0;
      long double secs = 0;
      if (!parse_date_part(s.substr(0, t), &y, &m, &d) ||
          !parse_time_part(s.substr(t + 1), &secs)) {
        return std::nullopt;
      }
      v.space = Space::kDateTime;
      v.number = days_from_civil(y, m, d) * 86400.0L + secs - offset;
      return v;
    }
    case Xsd::kDate: {
      std::string_view s = lex;
      long offset = 0;
      if (!parse_tz(s, &v.has_tz, &offset)) return std::nullopt;
      long y = 0;
      int m = 0;
      int d = 0;
      if (!parse_date_part(s, &y, &m, &d)) return std::nullopt;
      v.space = Space::kDate;
      v.number = days_from_civil(y, m, d) * 86400.0L - offset;
      return v;
    }
    case Xsd::kTime: {
      std::string_view s = lex;
      long offset = 0;
      if (!parse_tz(s, &v.has_tz, &offset)) return std::nullopt;
      long double secs = 0;
      if (!parse_time_part(s, &secs)) return std::nullopt;
      v.space = Space::kTime;
      v.number = secs - offset;
      return v;
    }
    default:
      if (is_integer_type(x)) {
        if (!integer_lexical(lex) || !in_integer_range(x, lex)) return std::nullopt;
        v.space = Space::kNumber;
        v.number = parse_number(lex);
        return v;
      }
      return std::nullopt;
  }
}

}  // namespace

bool is_numeric_datatype(std::string_view datatype_iri) {
  Xsd x = classify(datatype_iri);
  return x == Xsd::kDecimal || x == Xsd::kFloat || x == Xsd::kDouble || is_integer_type(x);
}

std::optional<int> compare_values(const TermTable& terms, TermId a, TermId b) {
  std::optional<Value> va = parse_value(terms, a);
  std::optional<Value> vb = parse_value(terms, b);
  if (!va || !vb || va->space != vb->space) return std::nullopt;
  if (va->space == Space::kString) {
    int c = va->text.compare(vb->text);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if ((va->space == Space::kDateTime || va->space == Space::kDate || va->space == Space::kTime) &&
      va->has_tz != vb->has_tz) {
    return std::nullopt;  // indeterminate without an implicit time zone
  }
  if (std::isnan(va->number) || std::isnan(vb->number)) return std::nullopt;
  if (va->number < vb->number) return -1;
  if (va->number > vb->number) return 1;
  return 0;
}

bool is_well_formed(const TermTable& terms, TermId literal) {
  if (!terms.is_literal(literal)) return false;
  Xsd x = classify(terms.value(terms.datatype(literal)));
  switch (x) {
    case Xsd::kUnknown:
    case Xsd::kString:
    case Xsd::kNormalizedString:
    case Xsd::kToken:
    case Xsd::kAnyUri:
      return true;
    case Xsd::kLangString:
      return !terms.lang(literal).empty();
    case Xsd::kGYear: {
      std::string_view s = terms.value(literal);
      bool has_tz = false;
      long offset = 0;
      if (!parse_tz(s, &has_tz, &offset)) return false;
      if (!s.empty() && s[0] == '-') s.remove_prefix(1);
      return s.size() >= 4 && all_digits(s);
    }
    case Xsd::kLanguage: {
      std::string_view s = terms.value(literal);
      return !s.empty() && s.find(' ') == std::string_view::npos;
    }
    default:
      return parse_value(terms, literal).has_value();
  }
}

bool lang_matches(std::string_view tag, std::string_view range) {
  if (range == "*") return !tag.empty();
  if (tag.size() < range.size()) return false;
  for (size_t i = 0; i < range.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(tag[i])) !=
        std::tolower(static_cast<unsigned char>(range[i]))) {
      return false;
    }
  }
  return tag.size() == range.size() || tag[range.size()] == '-';
}

size_t utf8_length(std::string_view text) {
  size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace mpli::rdf
