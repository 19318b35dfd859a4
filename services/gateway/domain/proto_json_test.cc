// proto_to_json against protobuf's own printer (text printed, then parsed) on messages filled
// at random by reflection: every field of every message the gateway turns into JSON, repeated
// fields of several elements, oneofs, optional fields set or not, NaN and infinities, nesting.
#include "services/gateway/domain/proto_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>

#include "mpli/discovery/v1/discovery.pb.h"
#include "mpli/resolver/v1/resolver.pb.h"
#include "mpli/trust/v1/trust.pb.h"

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using nlohmann::json;

namespace {

json printed(const Message& message) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  REQUIRE(google::protobuf::util::MessageToJsonString(message, &text, options).ok());
  return json::parse(text);
}

class Filler {
 public:
  explicit Filler(unsigned seed) : random_(seed) {}

  void fill(Message& message, int depth) {
    const auto* type = message.GetDescriptor();
    const auto* reflection = message.GetReflection();
    for (int i = 0; i < type->field_count(); ++i) {
      const FieldDescriptor* field = type->field(i);
      // Left unset now and then: presence must be honoured both ways.
      if (chance(4)) continue;
      if (field->is_repeated()) {
        int n = static_cast<int>(random_() % 4);
        for (int k = 0; k < n; ++k) add(message, *reflection, field, depth);
      } else {
        set(message, *reflection, field, depth);
      }
    }
  }

 private:
  bool chance(int one_in) { return random_() % static_cast<unsigned>(one_in) == 0; }
  double number() {
    switch (random_() % 8) {
      case 0:
        return std::numeric_limits<double>::quiet_NaN();
      case 1:
        return std::numeric_limits<double>::infinity();
      case 2:
        return -std::numeric_limits<double>::infinity();
      case 3:
        return 0.1;
      default:
        return static_cast<double>(static_cast<int>(random_() % 200000) - 100000) / 7.0;
    }
  }
  std::string text() {
    static const char* kTexts[] = {"",
                                   "plain",
                                   "quote \" and \\\\ backslash",
                                   "tab\tnew\nline",
                                   "ünïcödé €",
                                   "https://p7.bench.example/o#1",
                                   "bell \a, escape \x1b, delete \x7f",
                                   "\"\"",
                                   "</script>",
                                   "cr\r, form feed\f, backspace\b, unit separator \x1f"};
    return kTexts[random_() % 10];
  }
  int enum_number(const FieldDescriptor* field) {
    const auto* type = field->enum_type();
    return type->value(static_cast<int>(random_() % static_cast<unsigned>(type->value_count())))
        ->number();
  }

  void set(Message& m, const google::protobuf::Reflection& r, const FieldDescriptor* f, int depth) {
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        r.SetInt32(&m, f, static_cast<int32_t>(random_()));
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        r.SetUInt32(&m, f, static_cast<uint32_t>(random_()));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        r.SetInt64(&m, f, -static_cast<int64_t>(random_()) * 4099);
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        r.SetUInt64(&m, f, static_cast<uint64_t>(random_()) << 20);
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        r.SetDouble(&m, f, number());
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        r.SetFloat(&m, f, static_cast<float>(number()));
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        r.SetBool(&m, f, chance(2));
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        r.SetEnumValue(&m, f, enum_number(f));
        break;
      case FieldDescriptor::CPPTYPE_STRING:
        r.SetString(&m, f, text());
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (depth < 4) fill(*r.MutableMessage(&m, f), depth + 1);
        break;
    }
  }
  void add(Message& m, const google::protobuf::Reflection& r, const FieldDescriptor* f, int depth) {
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        r.AddInt32(&m, f, static_cast<int32_t>(random_()));
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        r.AddUInt32(&m, f, static_cast<uint32_t>(random_()));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        r.AddInt64(&m, f, static_cast<int64_t>(random_()));
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        r.AddUInt64(&m, f, static_cast<uint64_t>(random_()));
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        r.AddDouble(&m, f, number());
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        r.AddFloat(&m, f, static_cast<float>(number()));
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        r.AddBool(&m, f, chance(2));
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        r.AddEnumValue(&m, f, enum_number(f));
        break;
      case FieldDescriptor::CPPTYPE_STRING:
        r.AddString(&m, f, text());
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (depth < 4) fill(*r.AddMessage(&m, f), depth + 1);
        break;
    }
  }

  std::mt19937 random_;
};

template <typename M>
void check_equal_to_printer(unsigned seeds) {
  INFO(M::descriptor()->full_name());
  M empty;
  CHECK(mpli::gateway::proto_to_json(empty) == printed(empty));
  for (unsigned seed = 1; seed <= seeds; ++seed) {
    M message;
    Filler(seed).fill(message, 0);
    json ours = mpli::gateway::proto_to_json(message);
    json theirs = printed(message);
    INFO("seed " << seed << "\nours:   " << ours.dump() << "\ntheirs: " << theirs.dump());
    REQUIRE(ours == theirs);
  }
}

// proto_to_json_text against the tree it replaces, byte for byte.
template <typename M>
void check_text_equal_to_tree(unsigned seeds) {
  INFO(M::descriptor()->full_name());
  for (unsigned seed = 0; seed <= seeds; ++seed) {
    M message;
    if (seed > 0) Filler(seed).fill(message, 0);
    std::string tree =
        mpli::gateway::proto_to_json(message).dump(-1, ' ', false, json::error_handler_t::replace);
    std::string text = mpli::gateway::proto_to_json_text(message);
    INFO("seed " << seed);
    REQUIRE(text == tree);
  }
}

}  // namespace

TEST_CASE("proto_to_json_text writes the tree's JSON text without the tree") {
  check_text_equal_to_tree<mpli::resolver::v1::Resolution>(300);
  check_text_equal_to_tree<mpli::resolver::v1::RecheckAnswerReply>(100);
  check_text_equal_to_tree<mpli::discovery::v1::ListOfferingsReply>(100);
  check_text_equal_to_tree<mpli::discovery::v1::GetOfferingReply>(100);
}

TEST_CASE("proto_to_json_text: invalid UTF-8 is replaced as the tree's dump replaces it") {
  mpli::resolver::v1::Resolution resolution;
  resolution.set_consumer(std::string("broken \xff\xfe utf-8 \xc3"));
  resolution.set_manifest("ok");
  std::string text = mpli::gateway::proto_to_json_text(resolution);
  CHECK(text == mpli::gateway::proto_to_json(resolution)
                    .dump(-1, ' ', false, json::error_handler_t::replace));
  CHECK(text.find("\xef\xbf\xbd") != std::string::npos);  // U+FFFD
}

TEST_CASE("proto_to_json_text: overrides replace and add top-level members in name order") {
  mpli::resolver::v1::Resolution resolution;
  resolution.set_answers_considered(5);
  std::string text = mpli::gateway::proto_to_json_text(
      resolution, {{"answers_considered", "5"}, {"aaa", "1"}, {"zzz", "null"}});
  json parsed = json::parse(text);
  CHECK(parsed["answers_considered"] == 5);
  CHECK(parsed["zzz"].is_null());
  CHECK(text.rfind("{\"aaa\":1,", 0) == 0);
  const std::string last = ",\"zzz\":null}";
  REQUIRE(text.size() > last.size());
  CHECK(text.substr(text.size() - last.size()) == last);
}

TEST_CASE("proto_to_json equals protobuf's printer on every message the gateway renders") {
  check_equal_to_printer<mpli::resolver::v1::Resolution>(300);
  check_equal_to_printer<mpli::resolver::v1::RecheckAnswerReply>(100);
  check_equal_to_printer<mpli::discovery::v1::ListOfferingsReply>(100);
  check_equal_to_printer<mpli::discovery::v1::ListProvidersReply>(100);
  check_equal_to_printer<mpli::discovery::v1::RefreshProviderReply>(100);
  check_equal_to_printer<mpli::discovery::v1::GetOfferingReply>(100);
}

TEST_CASE("proto_to_json: 64-bit integers are strings, unset messages absent, lists empty") {
  mpli::resolver::v1::Resolution resolution;
  resolution.set_answers_considered(5);
  json out = mpli::gateway::proto_to_json(resolution);
  CHECK(out["answers_considered"] == "5");
  CHECK_FALSE(out.contains("diagnosis"));
  CHECK(out["answers"] == json::array());
}
