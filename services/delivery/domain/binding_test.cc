#include "services/delivery/domain/binding.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

using namespace mpli;
using namespace mpli::delivery;

namespace {
std::string example(const std::string& name) {
  std::ifstream in(std::string(MPLI_SOURCE_DIR) + "/ontology/examples/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}
const char* const kBase = "https://hexacloud.example/.well-known/mpli.ttl";
}  // namespace

TEST_CASE("the binding and the exact price come out of the example offering's graph") {
  std::string turtle = example("provider-hexacloud-fr.ttl");
  REQUIRE_FALSE(turtle.empty());
  auto binding = read_binding(turtle, std::string(kBase) + "#pg-snc");
  INFO(binding.status().to_string());
  REQUIRE(binding.is_ok());
  CHECK(binding->worker_kind == "postgresql");
  CHECK(binding->artifact == "snc-pg-par1");
  CHECK(binding->operations ==
        std::vector<std::string>{"deprovision", "export", "import", "modify", "provision"});
  CHECK(binding->supports("modify"));
  CHECK_FALSE(binding->supports("resize"));
  CHECK(binding->price_amount == "690.00");  // as written, not 690
  CHECK(binding->price_currency == "EUR");
  CHECK(binding->price_unit == "MON");
}

TEST_CASE("an offering without mpli:delivery has no binding") {
  const char* turtle = R"(@prefix mpli: <https://w3id.org/mpli#> .
<https://p.example/#o> a mpli:Offering .
<https://p.example/#b> a mpli:Offering ; mpli:delivery [ mpli:workerKind mpli:MagicWorker ] .
)";
  auto none = read_binding(turtle, "https://p.example/#o");
  REQUIRE_FALSE(none.is_ok());
  CHECK(none.status().detail("reason") == "NO_DELIVERY_BINDING");
  auto unknown = read_binding(turtle, "https://p.example/#b");
  REQUIRE_FALSE(unknown.is_ok());
  CHECK(unknown.status().detail("reason") == "NO_DELIVERY_BINDING");
  CHECK(worker_kind_name("DiskImageWorker") == "disk-image");
  CHECK(worker_kind_name("ExecWorker") == "exec");
}
