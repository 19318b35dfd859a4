#include "libs/process/nats_authorization.h"

#include <algorithm>
#include <catch2/catch.hpp>

namespace mpli::process {
namespace {

TEST_CASE("provider ids are subject tokens: letters, digits, dash and underscore only") {
  for (const char* good : {"nordwolke", "hexa-cloud", "pold_er2", "A", "x1"}) {
    INFO(good);
    CHECK(validate_provider_id(good).is_ok());
  }
  CHECK(validate_provider_id(std::string(64, 'p')).is_ok());
  const std::vector<std::string> bad_ids = {"",      "a.b", "a*",  "a>",   "a b",
                                            "tab\t", "ä",   "a/b", "a\"b", std::string(65, 'p')};
  for (const std::string& bad : bad_ids) {
    INFO("'" << bad << "'");
    Status status = validate_provider_id(bad);
    CHECK(status.code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("provider id result is reserved for the work updates of every provider") {
  Status status = validate_provider_id("result");
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(status.message(), Catch::Contains("reserved"));
  CHECK(validate_provider_id("results").is_ok());
}

TEST_CASE("a worker may use exactly its own consumer, its own result subject and its own inbox") {
  NatsPermissions permissions = worker_permissions("nordwolke");
  CHECK_FALSE(permissions.unrestricted);
  CHECK(permissions.publish_allow ==
        std::vector<std::string>{"$JS.API.CONSUMER.INFO.MPLI_WORK.worker-nordwolke",
                                 "$JS.API.CONSUMER.MSG.NEXT.MPLI_WORK.worker-nordwolke",
                                 "$JS.ACK.MPLI_WORK.worker-nordwolke.>",
                                 "mpli.work.v1.result.nordwolke"});
  CHECK(permissions.subscribe_allow ==
        std::vector<std::string>{"_INBOX_nordwolke.>",
                                 "$JS.EVENT.ADVISORY.CONSUMER.CREATED.MPLI_WORK.worker-nordwolke"});
  CHECK(worker_user_name("nordwolke") == "worker-nordwolke");
  CHECK(worker_inbox_prefix("nordwolke") == "_INBOX_nordwolke");
}

TEST_CASE("a transferring worker may also publish and read mpli.transfer.v1 and nothing else") {
  NatsPermissions permissions = worker_permissions("nordwolke");
  const size_t before = permissions.publish_allow.size();
  add_transfer_permissions(permissions);
  REQUIRE(permissions.publish_allow.size() > before);
  CHECK(permissions.publish_allow[before] == "mpli.transfer.v1.>");
  for (size_t i = before; i < permissions.publish_allow.size(); ++i) {
    const std::string& subject = permissions.publish_allow[i];
    INFO(subject);
    CHECK((subject.rfind("mpli.transfer.v1.", 0) == 0 ||
           subject.find("MPLI_TRANSFER") != std::string::npos));
  }
  CHECK(permissions.subscribe_allow == worker_permissions("nordwolke").subscribe_allow);
}

TEST_CASE("the hub has a user per service, the gateway and the operator") {
  std::vector<std::string> names = hub_user_names();
  for (const char* name :
       {"discovery", "resolver", "trust", "delivery", "portability", "gateway", "operator"}) {
    INFO(name);
    CHECK(std::count(names.begin(), names.end(), name) == 1);
  }
}

TEST_CASE("the authorization block lists each user with its password and permissions") {
  NatsUser hub{"delivery", "$2a$10$abcdefghijklmnopqrstuv", {}};
  hub.permissions.unrestricted = true;
  NatsUser worker{"worker-p1", "$2a$10$0123456789", worker_permissions("p1")};
  auto rendered = render_authorization({hub, worker});
  REQUIRE(rendered.is_ok());
  CHECK(*rendered ==
        "authorization {\n"
        "  users = [\n"
        "    {user: \"delivery\", password: \"$2a$10$abcdefghijklmnopqrstuv\"}\n"
        "    {user: \"worker-p1\", password: \"$2a$10$0123456789\",\n"
        "     permissions: {publish: {allow: [\"$JS.API.CONSUMER.INFO.MPLI_WORK.worker-p1\", "
        "\"$JS.API.CONSUMER.MSG.NEXT.MPLI_WORK.worker-p1\", \"$JS.ACK.MPLI_WORK.worker-p1.>\", "
        "\"mpli.work.v1.result.p1\"]}, subscribe: {allow: [\"_INBOX_p1.>\", "
        "\"$JS.EVENT.ADVISORY.CONSUMER.CREATED.MPLI_WORK.worker-p1\"]}}}\n"
        "  ]\n"
        "}\n");
}

TEST_CASE("an empty allow list denies everything instead of allowing it") {
  NatsUser mute{"mute", "secret", {}};
  auto rendered = render_authorization({mute});
  REQUIRE(rendered.is_ok());
  CHECK_THAT(*rendered, Catch::Contains("publish: {deny: [\">\"]}, subscribe: {deny: [\">\"]}"));
}

TEST_CASE("users that nats.conf could not hold safely are refused, naming the user") {
  NatsUser good{"ok", "pw", worker_permissions("p")};
  struct Case {
    std::vector<NatsUser> users;
    std::string named;
  };
  NatsUser quote_in_name{"a\"b", "pw", {}};
  NatsUser empty_password{"nopw", "", {}};
  NatsUser newline_password{"nl", "pw\nuser: x", {}};
  NatsUser bad_subject{"subj", "pw", {}};
  bad_subject.permissions.publish_allow = {"a b"};
  for (const auto& c : std::vector<Case>{{{quote_in_name}, "a\"b"},
                                         {{empty_password}, "nopw"},
                                         {{newline_password}, "nl"},
                                         {{bad_subject}, "subj"},
                                         {{good, good}, "ok"},
                                         {{NatsUser{"", "pw", {}}}, "''"}}) {
    auto rendered = render_authorization(c.users);
    INFO(c.named);
    REQUIRE_FALSE(rendered.is_ok());
    CHECK(rendered.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(rendered.status().message(), Catch::Contains(c.named));
  }
}

}  // namespace
}  // namespace mpli::process
