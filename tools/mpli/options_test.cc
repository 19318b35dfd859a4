#include "tools/mpli/options.h"

#include <catch2/catch.hpp>

using namespace mpli::cli;

namespace {
CommandSpec spec() {
  return {"providers get",
          "ID",
          "Shows one provider.",
          {{"--hub", "URL", "the hub", {"--gateway"}},
           {"--json", "", "print JSON"},
           {"--credential", "FILE", "a credential\nrepeat for several", {}, true}},
          1,
          1,
          {"mpli providers get hexacloud"},
          "exit status: 0 done\n"};
}
}  // namespace

TEST_CASE("options: values, flags and operands in any order, both value spellings") {
  auto parsed = parse_arguments(spec(), {"--json", "hexacloud", "--hub=http://h:1", "--credential",
                                         "a.jwt", "--credential", "b.jwt"});
  REQUIRE(parsed.ok());
  CHECK_FALSE(parsed.help);
  CHECK(parsed.operands == std::vector<std::string>{"hexacloud"});
  CHECK(parsed.value("--hub") == "http://h:1");
  CHECK(parsed.has("--json"));
  CHECK(parsed.all("--credential") == std::vector<std::string>{"a.jwt", "b.jwt"});
  CHECK_FALSE(parsed.value("--missing"));
}

TEST_CASE("options: an alias stores under the option's own name") {
  auto parsed = parse_arguments(spec(), {"--gateway", "http://old:2", "x"});
  REQUIRE(parsed.ok());
  CHECK(parsed.value("--hub") == "http://old:2");
}

TEST_CASE("options: help wins anywhere before --, even after a mistake") {
  CHECK(parse_arguments(spec(), {"--bogus", "-h"}).help);
  CHECK(parse_arguments(spec(), {"x", "--hub", "u", "--help"}).help);
  auto after = parse_arguments(spec(), {"--", "--help"});
  CHECK_FALSE(after.help);
  CHECK(after.operands == std::vector<std::string>{"--help"});
}

TEST_CASE("options: each mistake is an error naming the option or operand") {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  for (const auto& c : std::vector<Case>{
           {{"--bogus", "x"}, "unknown option '--bogus'"},
           {{"x", "--hub"}, "--hub needs a value (URL)"},
           {{"x", "--hub="}, "--hub is empty"},
           {{"x", "--json=yes"}, "--json takes no value"},
           {{"x", "--hub", "a", "--hub", "b"}, "--hub is given twice"},
           {{"x", "--gateway"}, "--gateway needs a value (URL)"},  // named as typed
           {{}, "missing ID"},
           {{"x", "y"}, "unexpected argument 'y'"},
       }) {
    auto parsed = parse_arguments(spec(), c.args);
    INFO(c.error);
    CHECK_FALSE(parsed.ok());
    CHECK(parsed.error == c.error);
  }
}

TEST_CASE("options: - is an operand (standard input), -- ends the options") {
  auto stdin_operand = parse_arguments(spec(), {"-"});
  REQUIRE(stdin_operand.ok());
  CHECK(stdin_operand.operands == std::vector<std::string>{"-"});
  auto dashed = parse_arguments(spec(), {"--", "--json"});
  REQUIRE(dashed.ok());
  CHECK_FALSE(dashed.has("--json"));
}

TEST_CASE("options: the help lists the usage, every option but aliases, examples and footer") {
  std::string help = render_help(spec());
  CHECK(help.rfind("usage: mpli providers get [OPTION...] ID\nShows one provider.\n", 0) == 0);
  CHECK(help.find("  --hub URL          the hub\n") != std::string::npos);
  CHECK(help.find("  --json             print JSON\n") != std::string::npos);
  // A second description line is indented under the first.
  CHECK(help.find("  --credential FILE  a credential\n                     repeat for several\n") !=
        std::string::npos);
  CHECK(help.find("  -h, --help         show this help and exit\n") != std::string::npos);
  CHECK(help.find("--gateway") == std::string::npos);
  CHECK(help.find("example:\n  mpli providers get hexacloud\n") != std::string::npos);
  const std::string footer = "exit status: 0 done\n";
  CHECK(help.substr(help.size() - footer.size()) == footer);
}

TEST_CASE("options: a group's help lists its commands by their first summary line") {
  CommandSpec list{"providers list", "", "Lists providers.\nMore text.", {}, 0, 0};
  std::string help = render_group_help("providers", "Providers.\n", {list, spec()}, "");
  CHECK(help.find("usage: mpli providers <command> [OPTION...]\n") == 0);
  CHECK(help.find("  list    Lists providers.\n") != std::string::npos);
  CHECK(help.find("  get ID  Shows one provider.\n") != std::string::npos);
  CHECK(help.find("More text") == std::string::npos);
}

TEST_CASE("bounded_number takes digits within the bounds only") {
  CHECK(bounded_number("50", 1, 500) == 50);
  CHECK(bounded_number("500", 1, 500) == 500);
  CHECK_FALSE(bounded_number("0", 1, 500));
  CHECK_FALSE(bounded_number("501", 1, 500));
  CHECK_FALSE(bounded_number("-1", 1, 500));
  CHECK_FALSE(bounded_number("1e3", 1, 5000));
  CHECK_FALSE(bounded_number("", 1, 500));
  CHECK_FALSE(bounded_number("99999999999999", 1, 500));
}
